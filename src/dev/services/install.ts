import { existsSync } from 'node:fs';
import { mkdir, readdir, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { RootlineError, errorMessage } from '../../errors/index.js';
import {
  APICURIO_VERSION,
  INFLUXDB_VERSION,
  KAFKA_SCALA,
  KAFKA_VERSION,
  SLF4J_RELOAD4J_VERSION,
  type HarnessConfig,
} from './config.js';
import { installPostgres } from './postgres.js';
import { run, withLock, type Log } from './proc.js';

/** Where each installed service lives in the cache. */
export function installPaths(cacheDir: string) {
  const kafka = join(cacheDir, `kafka-${KAFKA_VERSION}`);
  const apicurio = join(cacheDir, `apicurio-registry-${APICURIO_VERSION}`);
  const influx = join(cacheDir, `influxdb-${INFLUXDB_VERSION}`);
  return {
    kafkaLibs: join(kafka, 'libs'),
    kafkaMarker: join(kafka, '.installed'),
    apicurioDir: apicurio,
    apicurioJar: join(apicurio, `apicurio-registry-app-${APICURIO_VERSION}-runner.jar`),
    apicurioMarker: join(apicurio, '.installed'),
    influxd: join(influx, 'bin', 'influxd'),
    influxMarker: join(influx, '.installed'),
  };
}

interface Tool {
  name: string;
  install: string;
  check: (env: NodeJS.ProcessEnv) => Promise<void>;
}

const TOOLS: Record<'java' | 'mvn' | 'go', Tool> = {
  java: {
    name: 'Java 17 or newer',
    install: 'apt-get install openjdk-17-jre-headless (or any JDK >= 17 on PATH)',
    check: async (env) => {
      const { stdout, stderr } = await run('java', ['-version'], { env });
      const m = /version "(\d+)(?:\.(\d+))?/.exec(`${stderr}${stdout}`);
      const major = m ? (m[1] === '1' ? Number(m[2]) : Number(m[1])) : NaN;
      if (!(major >= 17))
        throw new Error(`java on PATH is version ${m ? m[0] : 'unknown'}, Kafka 3.9 and Apicurio need 17+`);
    },
  },
  mvn: {
    name: 'Apache Maven',
    install: 'apt-get install maven',
    check: async (env) => {
      await run('mvn', ['-v'], { env });
    },
  },
  go: {
    name: 'Go 1.21 or newer',
    install: 'apt-get install golang (or https://go.dev/dl)',
    check: async (env) => {
      await run('go', ['version'], { env });
    },
  },
};

/** Fails at once, naming every missing tool, before anything is downloaded. */
export async function checkPrerequisites(cfg: HarnessConfig, env: NodeJS.ProcessEnv = process.env): Promise<void> {
  const paths = installPaths(cfg.cacheDir);
  const needed: (keyof typeof TOOLS)[] = ['java'];
  if (!existsSync(paths.kafkaMarker) || !existsSync(paths.apicurioMarker)) needed.push('mvn');
  if (!existsSync(paths.influxMarker)) needed.push('go');
  const missing: string[] = [];
  await Promise.all(
    needed.map(async (key) => {
      const tool = TOOLS[key];
      try {
        await tool.check(env);
      } catch (err: unknown) {
        const why =
          (err as NodeJS.ErrnoException).code === 'ENOENT' || /ENOENT/.test(errorMessage(err))
            ? 'not found on PATH'
            : errorMessage(err).split('\n')[0];
        missing.push(`  - ${tool.name} (${key}): ${why}. Install: ${tool.install}`);
      }
    }),
  );
  if (missing.length > 0) {
    throw new RootlineError(
      'PREREQUISITE_MISSING',
      `The local services need tools that are missing:\n${missing.sort().join('\n')}\n(Rootline's test services run Kafka and Apicurio on Java, fetched with Maven, and InfluxDB built with Go.)`,
    );
  }
}

async function installKafka(cfg: HarnessConfig, log: Log): Promise<void> {
  const p = installPaths(cfg.cacheDir);
  if (existsSync(p.kafkaMarker)) return;
  log(`installing Kafka ${KAFKA_VERSION} from Maven Central (once; cached in ${cfg.cacheDir})`);
  const work = join(cfg.cacheDir, `.kafka-build-${process.pid}`);
  await rm(work, { recursive: true, force: true });
  await mkdir(work, { recursive: true });
  // kafka_2.13's pom has no logging backend; without one the broker can die at start-up.
  await writeFile(
    join(work, 'pom.xml'),
    `<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>dev.rootline</groupId><artifactId>kafka-libs</artifactId><version>1</version><packaging>pom</packaging>
  <dependencies>
    <dependency><groupId>org.apache.kafka</groupId><artifactId>kafka_${KAFKA_SCALA}</artifactId><version>${KAFKA_VERSION}</version></dependency>
    <dependency><groupId>org.slf4j</groupId><artifactId>slf4j-reload4j</artifactId><version>${SLF4J_RELOAD4J_VERSION}</version></dependency>
  </dependencies>
</project>
`,
  );
  const out = join(work, 'libs');
  await run('mvn', ['-B', '-q', 'dependency:copy-dependencies', '-DincludeScope=runtime', `-DoutputDirectory=${out}`], {
    cwd: work,
  });
  const jars = (await readdir(out)).filter((f) => f.endsWith('.jar'));
  if (!jars.some((j) => j.startsWith(`kafka_${KAFKA_SCALA}-${KAFKA_VERSION}`))) {
    throw new Error(`Maven finished but ${out} holds no kafka_${KAFKA_SCALA}-${KAFKA_VERSION} jar`);
  }
  await rm(p.kafkaLibs, { recursive: true, force: true });
  await mkdir(join(p.kafkaLibs, '..'), { recursive: true });
  await rename(out, p.kafkaLibs);
  await writeFile(p.kafkaMarker, `${jars.length} jars\n`);
  await rm(work, { recursive: true, force: true });
  log(`Kafka ${KAFKA_VERSION} installed (${jars.length} jars)`);
}

async function installApicurio(cfg: HarnessConfig, log: Log): Promise<void> {
  const p = installPaths(cfg.cacheDir);
  if (existsSync(p.apicurioMarker)) return;
  log(`installing Apicurio Registry ${APICURIO_VERSION} from Maven Central (once; ~110 MB)`);
  const work = join(cfg.cacheDir, `.apicurio-build-${process.pid}`);
  await rm(work, { recursive: true, force: true });
  await mkdir(work, { recursive: true });
  // -U: a failed lookup of another version must not stay cached as a failure.
  await run(
    'mvn',
    [
      '-B',
      '-q',
      '-U',
      'dependency:copy',
      `-Dartifact=io.apicurio:apicurio-registry-app:${APICURIO_VERSION}:tar.gz:all`,
      `-DoutputDirectory=${work}`,
    ],
    {
      cwd: work,
    },
  );
  const tarball = join(work, `apicurio-registry-app-${APICURIO_VERSION}-all.tar.gz`);
  const dest = join(work, 'app');
  await mkdir(dest);
  await run('tar', ['xzf', tarball, '-C', dest]);
  if (!existsSync(join(dest, `apicurio-registry-app-${APICURIO_VERSION}-runner.jar`))) {
    throw new Error(`the Apicurio tarball has no apicurio-registry-app-${APICURIO_VERSION}-runner.jar`);
  }
  await rm(p.apicurioDir, { recursive: true, force: true });
  await rename(dest, p.apicurioDir);
  await writeFile(p.apicurioMarker, 'ok\n');
  await rm(work, { recursive: true, force: true });
  log(`Apicurio Registry ${APICURIO_VERSION} installed`);
}

async function installInflux(cfg: HarnessConfig, log: Log): Promise<void> {
  const p = installPaths(cfg.cacheDir);
  if (existsSync(p.influxMarker)) return;
  log(`building InfluxDB ${INFLUXDB_VERSION} from the Go module proxy (once; about a minute)`);
  const bin = join(p.influxd, '..');
  await mkdir(bin, { recursive: true });
  await run(
    'go',
    [
      'install',
      '-ldflags',
      `-X main.version=${INFLUXDB_VERSION}`,
      `github.com/influxdata/influxdb/cmd/influxd@v${INFLUXDB_VERSION}`,
    ],
    { env: { ...process.env, GOBIN: bin, GOFLAGS: '-mod=mod', CGO_ENABLED: '0' } },
  );
  if (!existsSync(p.influxd)) throw new Error(`go install finished but ${p.influxd} is missing`);
  await writeFile(p.influxMarker, 'ok\n');
  log(`InfluxDB ${INFLUXDB_VERSION} built`);
}

/** Installs whatever is missing from the cache; a second call downloads and builds nothing. */
export async function installAll(cfg: HarnessConfig, log: Log): Promise<void> {
  await checkPrerequisites(cfg);
  await installPostgres(cfg, log);
  const p = installPaths(cfg.cacheDir);
  if (existsSync(p.kafkaMarker) && existsSync(p.apicurioMarker) && existsSync(p.influxMarker)) return;
  await mkdir(cfg.cacheDir, { recursive: true });
  await withLock(join(cfg.cacheDir, '.install.lock'), 'installing the services', log, async () => {
    const steps: [string, () => Promise<void>][] = [
      ['Kafka', () => installKafka(cfg, log)],
      ['Apicurio Registry', () => installApicurio(cfg, log)],
      ['InfluxDB', () => installInflux(cfg, log)],
    ];
    // Maven runs one at a time (a shared ~/.m2); the Go build runs beside them.
    const results = await Promise.allSettled([
      (async () => {
        await steps[0]![1]();
        await steps[1]![1]();
      })(),
      steps[2]![1](),
    ]);
    const failures = results.flatMap((r) => (r.status === 'rejected' ? [errorMessage(r.reason)] : []));
    if (failures.length > 0) {
      throw new RootlineError(
        'SERVICE_INSTALL_FAILED',
        `installing the local services failed:\n${failures.join('\n\n')}`,
      );
    }
  });
}
