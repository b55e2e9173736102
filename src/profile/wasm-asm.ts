// A small assembler for WebAssembly function bodies written in the folded text format (a subset of WAT:
// the numeric, local, memory and control instructions the content hash's kernels use). It keeps the
// kernels readable and checkable against any WAT toolchain, without a build step or a dependency.
//
//   assembleModule({ memoryPages: 4, functions: [{ name: 'f', export: true, params: [['$p', 'i32']],
//     result: 'i64', locals: [['$x', 'i64']], body: '(local.set $x (i64.load (local.get $p))) (local.get $x)' }] })

/** A value type of the subset. */
export type WasmType = 'i32' | 'i64' | 'f64';

/** One function: named params and locals, an optional result, a folded-WAT body. */
export interface WasmFunction {
  name: string;
  export?: boolean;
  params: readonly (readonly [string, WasmType])[];
  result?: WasmType;
  locals?: readonly (readonly [string, WasmType])[];
  body: string;
}

const TYPE_CODE: Record<WasmType, number> = { i32: 0x7f, i64: 0x7e, f64: 0x7c };

// Plain instructions (no immediates).
const PLAIN: Record<string, number> = {
  unreachable: 0x00,
  nop: 0x01,
  return: 0x0f,
  drop: 0x1a,
  select: 0x1b,
  'i32.eqz': 0x45,
  'i32.eq': 0x46,
  'i32.ne': 0x47,
  'i32.lt_u': 0x49,
  'i32.gt_u': 0x4b,
  'i32.le_u': 0x4d,
  'i32.ge_u': 0x4f,
  'i64.eqz': 0x50,
  'i64.eq': 0x51,
  'i64.ne': 0x52,
  'f64.eq': 0x61,
  'f64.ne': 0x62,
  'i32.add': 0x6a,
  'i32.sub': 0x6b,
  'i32.mul': 0x6c,
  'i32.and': 0x71,
  'i32.or': 0x72,
  'i32.xor': 0x73,
  'i32.shl': 0x74,
  'i32.shr_u': 0x76,
  'i64.add': 0x7c,
  'i64.sub': 0x7d,
  'i64.mul': 0x7e,
  'i64.and': 0x83,
  'i64.or': 0x84,
  'i64.xor': 0x85,
  'i64.shl': 0x86,
  'i64.shr_u': 0x88,
  'i64.rotl': 0x89,
  'i32.wrap_i64': 0xa7,
  'i64.extend_i32_u': 0xad,
  'i64.reinterpret_f64': 0xbd,
};

// Memory instructions: opcode and natural alignment (log2 bytes).
const MEMORY: Record<string, [number, number]> = {
  'i32.load': [0x28, 2],
  'i64.load': [0x29, 3],
  'f64.load': [0x2b, 3],
  'i32.load8_u': [0x2d, 0],
  'i64.load8_u': [0x31, 0],
  'i32.store': [0x36, 2],
  'i64.store': [0x37, 3],
  'f64.store': [0x39, 3],
  'i32.store8': [0x3a, 0],
};

const LOCAL: Record<string, number> = { 'local.get': 0x20, 'local.set': 0x21, 'local.tee': 0x22 };

type Node = string | Node[];

function parse(text: string): Node[] {
  const tokens = text.replace(/;;[^\n]*/g, ' ').match(/[()]|[^\s()]+/g) ?? [];
  let i = 0;
  const list = (): Node[] => {
    const out: Node[] = [];
    while (i < tokens.length) {
      const t = tokens[i++]!;
      if (t === '(') out.push(list());
      else if (t === ')') return out;
      else out.push(t);
    }
    return out;
  };
  const nodes = list();
  if (i < tokens.length) throw new Error('wasm-asm: unbalanced parentheses');
  return nodes;
}

function uleb(n: number): number[] {
  const out: number[] = [];
  do {
    let b = n & 0x7f;
    n >>>= 7;
    if (n !== 0) b |= 0x80;
    out.push(b);
  } while (n !== 0);
  return out;
}

function sleb(v: bigint): number[] {
  const out: number[] = [];
  for (;;) {
    const b = Number(v & 0x7fn);
    v >>= 7n;
    if ((v === 0n && (b & 0x40) === 0) || (v === -1n && (b & 0x40) !== 0)) {
      out.push(b);
      return out;
    }
    out.push(b | 0x80);
  }
}

function constant(text: string, bits: 32 | 64): bigint {
  const negative = text.startsWith('-');
  const v = BigInt(negative ? text.slice(1) : text);
  return BigInt.asIntN(bits, negative ? -v : v);
}

function name(n: Node | undefined): string {
  if (typeof n !== 'string') throw new Error(`wasm-asm: expected a name, got ${JSON.stringify(n)}`);
  return n;
}

/** Assembles a module of functions and one exported memory ("m"), as the bytes of a .wasm file. */
export function assembleModule(spec: { memoryPages: number; functions: readonly WasmFunction[] }): Uint8Array {
  const fnIndex = new Map(spec.functions.map((f, i) => [f.name, i]));
  const types: number[][] = [];
  const typeOf: number[] = [];
  for (const f of spec.functions) {
    const sig = [0x60, ...uleb(f.params.length), ...f.params.map(([, t]) => TYPE_CODE[t])];
    sig.push(...(f.result === undefined ? [0] : [1, TYPE_CODE[f.result]]));
    let t = types.findIndex((x) => x.length === sig.length && x.every((b, j) => b === sig[j]));
    if (t < 0) t = types.push(sig) - 1;
    typeOf.push(t);
  }
  const bodies = spec.functions.map((f) => functionBody(f, fnIndex));
  const section = (id: number, content: number[]): number[] => [id, ...uleb(content.length), ...content];
  const vec = (items: number[][]): number[] => [...uleb(items.length), ...items.flat()];
  const str = (s: string): number[] => [...uleb(s.length), ...Buffer.from(s, 'utf8')];
  const exports = spec.functions.flatMap((f, i) => (f.export ? [[...str(f.name), 0x00, ...uleb(i)]] : []));
  exports.push([...str('m'), 0x02, 0]);
  return Uint8Array.from([
    ...[0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00],
    ...section(1, vec(types)),
    ...section(3, vec(typeOf.map((t) => uleb(t)))),
    ...section(5, vec([[0x00, ...uleb(spec.memoryPages)]])),
    ...section(7, vec(exports)),
    ...section(10, vec(bodies.map((b) => [...uleb(b.length), ...b]))),
  ]);
}

function functionBody(f: WasmFunction, fnIndex: ReadonlyMap<string, number>): number[] {
  const locals = new Map<string, number>();
  for (const [n] of [...f.params, ...(f.locals ?? [])]) {
    if (locals.has(n)) throw new Error(`wasm-asm: ${f.name}: ${n} declared twice`);
    locals.set(n, locals.size);
  }
  const code: number[] = [];
  const labels: (string | undefined)[] = [];
  const depth = (label: string): number => {
    const d = labels.lastIndexOf(label);
    if (d < 0) throw new Error(`wasm-asm: ${f.name}: unknown label ${label}`);
    return labels.length - 1 - d;
  };
  const blockType = (items: Node[]): number => {
    const r = items.findIndex((x) => Array.isArray(x) && x[0] === 'result');
    if (r < 0) return 0x40;
    const t = (items[r] as Node[])[1] as WasmType;
    items.splice(r, 1);
    return TYPE_CODE[t];
  };
  const emit = (node: Node): void => {
    if (!Array.isArray(node)) throw new Error(`wasm-asm: ${f.name}: bare token ${node} (use folded form)`);
    const [op, ...rest] = node;
    const opName = name(op);
    if (opName === 'block' || opName === 'loop') {
      const label = typeof rest[0] === 'string' ? (rest.shift() as string) : undefined;
      const bt = blockType(rest);
      code.push(opName === 'block' ? 0x02 : 0x03, bt);
      labels.push(label);
      rest.forEach(emit);
      labels.pop();
      code.push(0x0b);
      return;
    }
    if (opName === 'if') {
      const bt = blockType(rest);
      const thenPart = rest.find((x) => Array.isArray(x) && x[0] === 'then') as Node[] | undefined;
      const elsePart = rest.find((x) => Array.isArray(x) && x[0] === 'else') as Node[] | undefined;
      rest.filter((x) => x !== thenPart && x !== elsePart).forEach(emit);
      code.push(0x04, bt);
      labels.push(undefined);
      thenPart?.slice(1).forEach(emit);
      if (elsePart !== undefined) {
        code.push(0x05);
        elsePart.slice(1).forEach(emit);
      }
      labels.pop();
      code.push(0x0b);
      return;
    }
    if (opName === 'br' || opName === 'br_if') {
      const label = name(rest.shift());
      rest.forEach(emit);
      code.push(opName === 'br' ? 0x0c : 0x0d, ...uleb(depth(label)));
      return;
    }
    if (opName === 'call') {
      const target = fnIndex.get(name(rest.shift()).replace(/^\$/, ''));
      if (target === undefined) throw new Error(`wasm-asm: ${f.name}: unknown function in ${JSON.stringify(node)}`);
      rest.forEach(emit);
      code.push(0x10, ...uleb(target));
      return;
    }
    if (opName in LOCAL) {
      const local = locals.get(name(rest.shift()));
      if (local === undefined) throw new Error(`wasm-asm: ${f.name}: unknown local in ${JSON.stringify(node)}`);
      rest.forEach(emit);
      code.push(LOCAL[opName]!, ...uleb(local));
      return;
    }
    if (opName === 'i32.const' || opName === 'i64.const') {
      code.push(
        opName === 'i32.const' ? 0x41 : 0x42,
        ...sleb(constant(name(rest[0]), opName === 'i32.const' ? 32 : 64)),
      );
      return;
    }
    if (opName === 'f64.const') {
      const b = Buffer.alloc(8);
      b.writeDoubleLE(Number(name(rest[0])));
      code.push(0x44, ...b);
      return;
    }
    const mem = MEMORY[opName];
    if (mem !== undefined) {
      let offset = 0;
      while (typeof rest[0] === 'string') {
        const imm = rest.shift() as string;
        if (imm.startsWith('offset=')) offset = Number(imm.slice(7));
        else throw new Error(`wasm-asm: ${f.name}: unknown immediate ${imm}`);
      }
      rest.forEach(emit);
      code.push(mem[0], mem[1], ...uleb(offset));
      return;
    }
    const plain = PLAIN[opName];
    if (plain === undefined) throw new Error(`wasm-asm: ${f.name}: unknown instruction ${opName}`);
    rest.forEach(emit);
    code.push(plain);
  };
  parse(f.body).forEach(emit);
  code.push(0x0b);
  const groups = (f.locals ?? []).map(([, t]) => [1, TYPE_CODE[t]]);
  return [...uleb(groups.length), ...groups.flat(), ...code];
}
