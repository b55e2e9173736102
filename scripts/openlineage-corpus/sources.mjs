/**
 * The pinned registry archives the OpenLineage evaluation corpus is built from.
 *
 * Every archive is fetched with its registry's ordinary client (pip, cargo) and checked against the sha256 pinned here;
 * a changed pin means a new corpus version (CORPUS_VERSION), so a cache built from other bytes is never reused.
 * `repository`/`repositoryPath`/`commit` say where the same files live upstream; they were looked up in the upstream
 * repositories and are recorded for provenance only (nothing is downloaded from a repository).
 */

/** Subfolder of the cache the corpus is extracted into: bump it whenever a source, a pin or the rendering changes. */
export const CORPUS_VERSION = '2026.12.1';

/** OpenLineage's own repository and the commit of the tag whose spec the schemas were copied from. */
const OPENLINEAGE_REPO = 'OpenLineage/OpenLineage';

/**
 * @typedef {object} CorpusSource
 * @property {string} id short name, used as the prefix of every event id taken from it
 * @property {'pypi' | 'crates'} registry
 * @property {string} name package name in that registry
 * @property {string} version exact version
 * @property {string} archive file name the client saves
 * @property {string} sha256 pinned digest of that file
 * @property {string} root top folder inside the archive
 * @property {RegExp} include which paths inside the archive (below root) are taken
 * @property {'events' | 'templates' | 'spec'} kind verbatim events, Airflow system-test templates, or the JSON Schema
 * @property {string} integration integration the events belong to (for counts)
 * @property {string} repository upstream repository of the same files
 * @property {(path: string) => string} repositoryPath upstream path of an archive path (below root)
 * @property {(path: string) => string} commit upstream commit the file was found at
 * @property {string} [producer] producer URI given to rendered template events that leave it open
 * @property {string} note how the upstream path and commit were found
 */

/**
 * Upstream commits of the Airflow provider's expected-event files, as listed by the code index (one stored version per
 * file; the apache/airflow snapshot itself is larger than what could be fetched, see the README).
 */
const AIRFLOW_COMMITS = {
  'openlineage_all_facets_dag.json': '7e52b411e638fa0cfcca8b73f4ad5a53b5aff619',
  'openlineage_base_complex_dag__af2.json': 'd393186323a36f0bf84bd777f39922b893d65e1f',
  'openlineage_base_complex_dag__af3.json': '4d845fbbb700adbbf4d77a2ca925fc6fbdd24db0',
  'openlineage_base_simple_dag__af2.json': 'a63e9f436358a684c087dadb49f287eb0fcc3e17',
  'openlineage_base_simple_dag__af3.json': 'edf86df9aa1ac9ec90421c7699f2bbdf3c86b782',
  'openlineage_custom_operator_failure_dag.json': 'acb6065124d52b520776ae8d80f4951665794aac',
  'openlineage_custom_operator_ol_methods_dag.json': '03b94ce87b528ee91fa7edec70e5d2df79f47442',
  'openlineage_defer_simple_dag.json': 'f77d272b80ea885c6d76212a4ed90bb67f778129',
  'openlineage_docs_file_dag.json': '4a05014dfa5e853435c7770f21ac9c3951d3a184',
  'openlineage_edge_labels_dag.json': '532a36e2c85e516ca10aff0737a21c29290a9818',
  'openlineage_hitl_dag.json': '532a36e2c85e516ca10aff0737a21c29290a9818',
  'openlineage_manual_lineage_dag.json': 'ead8e24c9ac4ec1fbeece7dfdf662deea138071a',
  'openlineage_mapped_simple_dag.json': '2d5d7ca83118400b36c2017d069ad11517e71456',
  'openlineage_policy_conf_locked_dag.json': 'ba977609744a5016da43962f658f572ed3f8e3ed',
  'openlineage_policy_conf_source_code_dag.json': '47d21bc88e168ee35d868581cc864f24f000d50a',
  'openlineage_policy_dag_emit_false_dag.json': 'acfd28cff32b42b980d42bd0a4b8d462444b68a8',
  'openlineage_policy_dag_events_false_dag.json': '9281000e5003343b74e25b5b5cd25e01642edbc0',
  'openlineage_policy_dag_override_task_dag.json': '8e2af5433a44e953906399f0c790cd53069f874d',
  'openlineage_policy_extract_metadata_dag.json': '2b61f1ae2c9f1a078c047fed8c51151852ffd702',
  'openlineage_policy_full_task_info_dag.json': 'acfd28cff32b42b980d42bd0a4b8d462444b68a8',
  'openlineage_policy_hook_lineage_dag.json': '2269bc37293208efebf6858742eaab1132506689',
  'openlineage_policy_source_code_dag.json': '7e52b411e638fa0cfcca8b73f4ad5a53b5aff619',
  'openlineage_policy_task_emit_false_dag.json': 'ba977609744a5016da43962f658f572ed3f8e3ed',
  'openlineage_schedule_asset_or_time_dag__af2.json': '2d5d7ca83118400b36c2017d069ad11517e71456',
  'openlineage_schedule_asset_or_time_dag__af3.json': '7a6cdf936d27cb43e299d702c45d4e7c9f0629f9',
  'openlineage_schedule_cron_dag__af2.json': '48ac8bcd93fd90a1884dc09b907bd0d9f9b76825',
  'openlineage_schedule_cron_dag__af3.json': 'cb658d1292930cc21a7048d0402ee83ae66e6781',
  'openlineage_schedule_cron_trigger_timetable_dag.json': 'c46bd5d0cd90a2a7ef14cd2bde9082de46d074aa',
  'openlineage_schedule_delta_trigger_timetable_dag.json': '03b94ce87b528ee91fa7edec70e5d2df79f47442',
  'openlineage_schedule_list_complex_assets_dag__af2.json': 'd7c7fa07b1fc5133a401be9efa5c55bd9ef5fb91',
  'openlineage_schedule_list_complex_assets_dag__af3.json': '4acf740a78e609205e8dbc912e9be0a721ebaacb',
  'openlineage_schedule_list_multiple_assets_dag__af2.json': '4acf740a78e609205e8dbc912e9be0a721ebaacb',
  'openlineage_schedule_list_multiple_assets_dag__af3.json': 'c2a400c284b67af9369295c303588bebe803eebb',
  'openlineage_schedule_list_single_asset_dag__af2.json': 'd8109caa0ccf93470c910e8affa1d59c31718c01',
  'openlineage_schedule_list_single_asset_dag__af3.json': '34066db58b50a24cafe036b569a0e91200f8e066',
  'openlineage_schedule_multiple_assets_dag__af2.json': '00a1c46df0a9a3159f6ab8d8f94f4201b5f16289',
  'openlineage_schedule_multiple_assets_dag__af3.json': '7a6cdf936d27cb43e299d702c45d4e7c9f0629f9',
  'openlineage_schedule_multiple_cron_trigger_timetable_dag.json': '2662ac6349128f42121da852e822126fcb712fb9',
  'openlineage_schedule_single_asset_dag__af2.json': '4acf740a78e609205e8dbc912e9be0a721ebaacb',
  'openlineage_schedule_single_asset_dag__af3.json': '48ac8bcd93fd90a1884dc09b907bd0d9f9b76825',
  'openlineage_schedule_timedelta_dag__af2.json': '532a36e2c85e516ca10aff0737a21c29290a9818',
  'openlineage_schedule_timedelta_dag__af3.json': 'c25951395aeb94f9f167a00ae9e252d51380abab',
  'openlineage_schedule_timetable_dag__af2.json': '2d5d7ca83118400b36c2017d069ad11517e71456',
  'openlineage_schedule_timetable_dag__af3.json': '4d845fbbb700adbbf4d77a2ca925fc6fbdd24db0',
  'openlineage_setup_teardown_dag__af2.json': '54e8321d63690b7ba381a2f8d35276fbb52e3a22',
  'openlineage_setup_teardown_dag__af3.json': 'b9584335b22b76079a6c27abf792aa664c815685',
  'openlineage_short_circuit_dag.json': 'ce66ba1439db5e2d0ea45d36ddd730375556a64e',
  'openlineage_task_groups_dag.json': 'e1c3a7a8e0842bf3e6a495e6f6d5bab32ab1aaa2',
  'openlineage_taskflow_simple_dag.json': 'd8109caa0ccf93470c910e8affa1d59c31718c01',
  'openlineage_trigger_dag.json': '44ffb6af9b2b8d8a0ec6e1f0c71e257802a2c370',
  'openlineage_trigger_dag__af3_3_plus.json': '7e52b411e638fa0cfcca8b73f4ad5a53b5aff619',
  'openlineage_trigger_dag_deferrable.json': '562eee2657f4a3b54668579e65bec5379f043ab0',
  'openlineage_trigger_dag_deferrable__af3_3_plus.json': '532a36e2c85e516ca10aff0737a21c29290a9818',
  'openlineage_trigger_failed_dag.json': '9cf1e952203ccddde267fc14715058f1092b9be0',
  'openlineage_trigger_failed_dag__af3_3_plus.json': '532a36e2c85e516ca10aff0737a21c29290a9818',
  'openlineage_versioned_dag__af3.json': '7a6cdf936d27cb43e299d702c45d4e7c9f0629f9',
};

/** Likewise for the Google provider's system-test expectations (paths below providers/google/). */
const GOOGLE_COMMITS = {
  'bigquery_dts.json': 'c2a400c284b67af9369295c303588bebe803eebb',
  'bigquery_jobs.json': '319b2bef95fde66925b33278449aab0e9e153bc3',
  'bigquery_operations.json': '44fedf0a4240d5840c63294b3c38b276e4b6b6e6',
  'bigquery_queries.json': '319b2bef95fde66925b33278449aab0e9e153bc3',
  'bigquery_queries_async.json': '44fedf0a4240d5840c63294b3c38b276e4b6b6e6',
  'bigquery_tables.json': '319b2bef95fde66925b33278449aab0e9e153bc3',
  'bigquery_to_gcs_async.json': 'eb05869b6de611185b47539a443bf131ad7702bd',
  'bigquery_transfer.json': 'c2a400c284b67af9369295c303588bebe803eebb',
  'cloud_sql_query.json': '44fedf0a4240d5840c63294b3c38b276e4b6b6e6',
  'gcs_copy_delete.json': '4b9f215e325d05d9ee491934c711772c22bd0960',
  'gcs_to_bigquery.json': 'c2a400c284b67af9369295c303588bebe803eebb',
  'gcs_to_bigquery_async.json': '319b2bef95fde66925b33278449aab0e9e153bc3',
  'gcs_to_gcs.json': 'd8109caa0ccf93470c910e8affa1d59c31718c01',
  'gcs_to_sftp.json': 'a5af7524669423434a60bd0197490610f0ee9f20',
  'gcs_transform.json': 'd8109caa0ccf93470c910e8affa1d59c31718c01',
  'gcs_transform_timespan.json': '4b9f215e325d05d9ee491934c711772c22bd0960',
  'gcs_upload_download.json': 'c2a400c284b67af9369295c303588bebe803eebb',
  'mssql_to_gcs.json': '8ca75b5a4c99c7ff24c8c081b1735fe66e786f9a',
  'mysql_to_gcs.json': '4881f32cfa57fbd0b226037a51e18398927b6632',
  's3_to_gcs.json': '48ac8bcd93fd90a1884dc09b907bd0d9f9b76825',
  'sftp_to_gcs.json': '48ac8bcd93fd90a1884dc09b907bd0d9f9b76825',
  'trino_to_gcs.json': 'd8109caa0ccf93470c910e8affa1d59c31718c01',
};

const basename = (/** @type {string} */ p) => p.slice(p.lastIndexOf('/') + 1);

/** @type {CorpusSource[]} */
export const SOURCES = [
  {
    id: 'ol-python',
    registry: 'pypi',
    name: 'openlineage-python',
    version: '1.39.0',
    archive: 'openlineage_python-1.39.0.tar.gz',
    sha256: '1a32c349f60c3588d35bed03e7afddd907a434f31771d7b047b194e8e5edab09',
    root: 'openlineage_python-1.39.0',
    include: /^tests\/[^/]+\.json$/,
    kind: 'events',
    integration: 'python-client',
    repository: OPENLINEAGE_REPO,
    repositoryPath: (p) => `client/python/${p}`,
    commit: () => '4e4a9186962094ce5fd29c5e4bc9d5ddb5fa39a8',
    note: 'tag 1.39.0 of the fetched OpenLineage snapshot; each file is byte-identical there (sha256 compared)',
  },
  {
    id: 'airflow-provider',
    registry: 'pypi',
    name: 'apache-airflow-providers-openlineage',
    version: '2.20.3',
    archive: 'apache_airflow_providers_openlineage-2.20.3.tar.gz',
    sha256: '71736d8234dd46f8b29b400246e8d5b1917e4948bc202d02cf242cf56e8adc34',
    root: 'apache_airflow_providers_openlineage-2.20.3',
    include: /^tests\/system\/openlineage\/expected_events\/[^/]+\.json$/,
    kind: 'templates',
    integration: 'airflow-provider',
    repository: 'apache/airflow',
    repositoryPath: (p) => `providers/openlineage/${p}`,
    commit: (p) => AIRFLOW_COMMITS[/** @type {keyof typeof AIRFLOW_COMMITS} */ (basename(p))] ?? 'unknown',
    producer: 'https://github.com/apache/airflow/tree/providers-openlineage/2.20.3',
    note: 'per-file commit of the version stored by the code index (apache/airflow is too large to fetch whole)',
  },
  {
    id: 'airflow-google',
    registry: 'pypi',
    name: 'apache-airflow-providers-google',
    version: '22.8.0',
    archive: 'apache_airflow_providers_google-22.8.0.tar.gz',
    sha256: '654006dc73478b36f9e4bda0f00e45ba4b864f68da66653fbc77a9ece460a79d',
    root: 'apache_airflow_providers_google-22.8.0',
    include: /^tests\/system\/google\/cloud\/[^/]+\/resources\/openlineage\/[^/]+\.json$/,
    kind: 'templates',
    integration: 'airflow-sql-transfer-operators',
    repository: 'apache/airflow',
    repositoryPath: (p) => `providers/google/${p}`,
    commit: (p) => GOOGLE_COMMITS[/** @type {keyof typeof GOOGLE_COMMITS} */ (basename(p))] ?? 'unknown',
    // The events of provider operators are emitted by the OpenLineage provider's listener.
    producer: 'https://github.com/apache/airflow/tree/providers-openlineage/2.20.3',
    note: 'per-file commit of the version stored by the code index (apache/airflow is too large to fetch whole)',
  },
  {
    id: 'ol-spec',
    registry: 'crates',
    name: 'datafusion-openlineage',
    version: '0.0.7',
    archive: 'datafusion-openlineage-0.0.7.crate',
    sha256: '6a76cd49d4134a44d91d0224c9a8a9bbe586900131437680c990a2c7d5c1bf72',
    root: 'datafusion-openlineage-0.0.7',
    include: /^tests\/schemas\/openlineage\/(facets\/)?[^/]+\.json$/,
    kind: 'spec',
    integration: 'spec',
    repository: OPENLINEAGE_REPO,
    repositoryPath: (p) => `spec/${p.replace(/^tests\/schemas\/openlineage\//, '')}`,
    commit: () => '9cd7c8346692ea31a922c966609ec136997b3061',
    note:
      'the crate vendors the spec verbatim from OpenLineage tag 1.50.0; OpenLineage.json and 9 of the 11 facet files ' +
      'are byte-identical to the fetched snapshot (JobTypeJobFacet and ParentRunFacet are older versions)',
  },
];
