/**
 * What the benchmarks share (bench/engine-vs-raw.mjs, bench/ssh-vs-raw.mjs):
 * commands and timing, undo steps run on exit and on Ctrl+C, loop-backed
 * btrfs images, and the deterministic corpus with its small change.
 */
import { spawnSync } from 'node:child_process';
import { createCipheriv } from 'node:crypto';
import { chmodSync, closeSync, existsSync, lstatSync, mkdirSync, mkdtempSync, openSync, readdirSync, readFileSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
// ---------------------------------------------------------------- commands

export function log(text) {
  process.stderr.write(`${text}\n`);
}

/** Runs a command (in `cwd` if given); returns stdout, throws with stderr on failure. */
export function sh(file, args, { allowFail = false, cwd } = {}) {
  const r = spawnSync(file, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 256 * 1024 * 1024, cwd });
  if (r.error) throw r.error;
  if (r.status !== 0 && !allowFail) {
    throw new Error(`${file} ${args.join(' ')} failed (${r.status ?? r.signal}): ${r.stderr || r.stdout}`);
  }
  return allowFail ? { status: r.status, stdout: r.stdout, stderr: r.stderr } : r.stdout;
}

/** Seconds `fn` takes, by the monotonic clock, and what it returned. */
export function timed(fn) {
  const start = process.hrtime.bigint();
  const value = fn();
  return { seconds: Number(process.hrtime.bigint() - start) / 1e9, value };
}

/** Exits (status 2) with what to do when not run as root, or, if `helper` is given, when that helper bundle is missing. */
export function requireRootAndHelper(why, helper) {
  if (process.getuid?.() !== 0) {
    console.error(`The benchmark ${why}, which needs root: run it with sudo.`);
    process.exit(2);
  }
  if (helper && !existsSync(helper)) {
    console.error(`${helper} is missing: run "npm run build" first.`);
    process.exit(2);
  }
}

export function has(command) {
  return spawnSync('sh', ['-c', `command -v ${command}`], { stdio: 'ignore' }).status === 0;
}

// ---------------------------------------------------------------- cleanup

/** Undo steps, newest last; cleanup() runs them newest first. */
export const undo = [];
let cleaned = false;
export function cleanup() {
  if (cleaned) return;
  cleaned = true;
  const problems = [];
  while (undo.length > 0) {
    const { what, fn } = undo.pop();
    try {
      fn();
    } catch (error) {
      problems.push(`${what}: ${error.message}`);
    }
  }
  if (problems.length > 0) log(`cleanup problems:\n${problems.join('\n')}`);
  else log('cleaned up: mounts, loop devices and temporary files are gone');
}
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
  process.on(signal, () => {
    log(`\n${signal}: cleaning up`);
    cleanup();
    process.exit(130);
  });
}

/**
 * Everything here is synchronous, so a signal handler only runs when the
 * event loop gets a turn: give it one between steps, so Ctrl+C stops the
 * benchmark (and cleans up) at the next step, not at the end.
 */
export function yieldToSignals() {
  return new Promise((resolve) => setImmediate(resolve));
}

export function unmount(target) {
  for (let i = 0; i < 20; i++) {
    const r = sh('umount', [target], { allowFail: true });
    if (r.status === 0 || /not mounted|no mount point/.test(r.stderr)) return;
    spawnSync('sleep', ['0.2']);
  }
  sh('umount', ['-l', target]);
}

/** Unmounts everything mounted from `device` (ours or the helper's), then detaches it. */
export function detachLoop(device) {
  const targets = sh('findmnt', ['-rn', '-S', device, '-o', 'TARGET'], { allowFail: true }).stdout.split('\n').filter(Boolean);
  for (const target of targets.reverse()) unmount(target.replace(/\\x20/g, ' '));
  const r = sh('losetup', ['-d', device], { allowFail: true });
  if (r.status !== 0 && !/No such device/.test(r.stderr)) throw new Error(`losetup -d ${device}: ${r.stderr}`);
}

/** A temporary folder (0755, so test users and tools can enter it), removed at cleanup unless something is still mounted in it. */
export function makeTempDir(prefix) {
  const tmp = mkdtempSync(path.join(os.tmpdir(), prefix));
  chmodSync(tmp, 0o755);
  undo.push({
    what: `remove ${tmp}`,
    fn: () => {
      // Never recurse into a mount that is somehow still there.
      const left = sh('findmnt', ['-rn', '-o', 'TARGET'])
        .split('\n')
        .filter((t) => t.startsWith(`${tmp}/`));
      if (left.length > 0) throw new Error(`still mounted, so ${tmp} was kept: ${left.join(', ')}`);
      rmSync(tmp, { recursive: true, force: true });
    },
  });
  return tmp;
}

// ---------------------------------------------------------------- filesystems

export function createLoopBtrfs(dir, name, sizeMiB) {
  const image = path.join(dir, `${name}.img`);
  sh('truncate', ['-s', `${sizeMiB}M`, image]);
  undo.push({ what: `remove ${image}`, fn: () => rmSync(image, { force: true }) });
  const device = sh('losetup', ['--find', '--show', image]).trim();
  undo.push({ what: `detach ${device}`, fn: () => detachLoop(device) });
  return { name, image, device, uuid: mkfs(device, name) };
}

/** A fresh filesystem on `device`; returns its UUID. */
export function mkfs(device, label) {
  sh('mkfs.btrfs', ['-q', '-f', '-L', label, device]);
  return sh('blkid', ['-p', '-s', 'UUID', '-o', 'value', device]).trim();
}

/** Mounts are undone with their loop device (detachLoop unmounts everything from it). */
export function mount(device, target, options) {
  mkdirSync(target, { recursive: true });
  sh('mount', ['-t', 'btrfs', '-o', options, device, target]);
}

/**
 * The source: a btrfs filesystem whose subvolume `home` is mounted like /home
 * at `<tmp>/home`; its top level stays mounted at `<tmp>/source-top` for the
 * tools that snapshot there (raw, btrbk).
 */
export function createSource(tmp, imageMiB, options) {
  const source = createLoopBtrfs(tmp, 'bench-source', imageMiB);
  const srcTop = path.join(tmp, 'source-top');
  mount(source.device, srcTop, `subvolid=5,${options}`);
  sh('btrfs', ['subvolume', 'create', path.join(srcTop, 'home')]);
  const home = path.join(tmp, 'home');
  mount(source.device, home, `subvol=home,${options}`);
  return { ...source, srcTop, home };
}

/** Deletes every subvolume on the filesystem mounted at `top` except those named in `keep`, and waits until they are gone. */
export function deleteSubvolumesExcept(top, keep) {
  const victims = sh('btrfs', ['subvolume', 'list', top])
    .split('\n')
    .map((l) => /path (.*)$/.exec(l)?.[1])
    .filter((p) => p && !keep.includes(p))
    // Nested ones first.
    .sort((a, b) => b.length - a.length)
    .map((p) => path.join(top, p));
  if (victims.length > 0) sh('btrfs', ['subvolume', 'delete', '--commit-after', ...victims]);
  sh('btrfs', ['subvolume', 'sync', top]);
}

export function dropCaches() {
  sh('sync', []);
  writeFileSync('/proc/sys/vm/drop_caches', '3\n');
}

// ---------------------------------------------------------------- corpus

/** Deterministic, fast, incompressible bytes: AES-128-CTR of zeros, keyed by `seed`. */
export function streamOf(seed) {
  const key = Buffer.alloc(16);
  key.writeUInt32LE(seed >>> 0, 0);
  key.writeUInt32LE(0x52657764, 4); // "Rewd"
  const cipher = createCipheriv('aes-128-ctr', key, Buffer.alloc(16));
  return (n) => cipher.update(Buffer.alloc(n));
}

/** Small deterministic PRNG (mulberry32) for sizes and choices. */
export function prng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Odd files are random bytes, even ones hex text (compressible about 2:1). */
export function smallFileContent(index, size, seed) {
  const bytes = streamOf(seed * 1000003 + index)(size);
  return index % 2 === 1 ? bytes : Buffer.from(bytes.toString('hex').slice(0, size));
}

/** `files` small files of 1–64 KiB and four large incompressible ones, about `sizeMiB` in all. */
export function planCorpus(sizeMiB, files) {
  const random = prng(42);
  const small = [];
  let smallBytes = 0;
  for (let i = 0; i < files; i++) {
    const size = 1024 + Math.floor(random() * 63 * 1024);
    const dir = `docs/d${String(Math.floor(i / 1000)).padStart(2, '0')}/s${String(Math.floor(i / 50) % 20).padStart(2, '0')}`;
    small.push({ file: `${dir}/f${String(i).padStart(5, '0')}.${i % 2 ? 'bin' : 'txt'}`, size });
    smallBytes += size;
  }
  const largeBytes = Math.max(4 * 1024 * 1024, sizeMiB * 1024 * 1024 - smallBytes);
  const large = [0, 1, 2, 3].map((i) => ({ file: `media/video-${i}.bin`, size: Math.floor(largeBytes / 4 / 65536) * 65536 }));
  return { small, large, bytes: smallBytes + large.reduce((s, f) => s + f.size, 0) };
}

export function writeLarge(file, size, seed, flags = 'w') {
  const next = streamOf(seed);
  const fd = openSync(file, flags);
  try {
    for (let left = size; left > 0; left -= 8 << 20) writeSync(fd, next(Math.min(left, 8 << 20)));
  } finally {
    closeSync(fd);
  }
}

export async function writeCorpus(home, corpus) {
  for (const [i, f] of corpus.large.entries()) {
    mkdirSync(path.dirname(path.join(home, f.file)), { recursive: true });
    writeLarge(path.join(home, f.file), f.size, 7000 + i);
    await yieldToSignals();
  }
  for (const [i, f] of corpus.small.entries()) {
    const file = path.join(home, f.file);
    if (i % 50 === 0) mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(file, smallFileContent(i, f.size, 1));
    if (i % 1000 === 999) await yieldToSignals();
  }
}

/** The small change before the incremental job: 10 small files rewritten, 1 MiB appended to a large file. */
export function smallChange(home, corpus, repeat) {
  const random = prng(1000 + repeat);
  for (let k = 0; k < Math.min(10, corpus.small.length); k++) {
    const i = Math.floor(random() * corpus.small.length);
    writeFileSync(path.join(home, corpus.small[i].file), smallFileContent(i, corpus.small[i].size, 100 + repeat));
  }
  writeLarge(path.join(home, corpus.large[0].file), 1 << 20, 9000 + repeat, 'a');
  sh('sync', []);
}

/**
 * A corpus copied from the system's own files (`cp -a`, keeping links,
 * modes and xattrs) under `home`, in the shape planCorpus returns: the
 * four largest regular files are `large` (largest first: smallChange appends
 * to large[0]), every other regular file is `small`.
 */
export function copySystemCorpus(roots, home) {
  const files = [];
  let symlinks = 0;
  const walk = (dir) => {
    for (const name of readdirSync(dir).sort()) {
      const file = path.join(dir, name);
      const st = lstatSync(file);
      if (st.isDirectory()) walk(file);
      else if (st.isFile()) files.push({ file: path.relative('/', file), size: st.size });
      else if (st.isSymbolicLink()) symlinks++;
    }
  };
  for (const root of roots) {
    walk(root);
    // Not `cp --parents`: coreutils 9.1 (Debian 12) fails with it on a folder.
    const parent = path.join(home, path.dirname(root));
    mkdirSync(parent, { recursive: true });
    sh('cp', ['-a', root, parent]);
  }
  sh('sync', []);
  const bySize = [...files].sort((a, b) => b.size - a.size || (a.file < b.file ? -1 : 1));
  const large = bySize.slice(0, 4);
  return { small: files.filter((f) => !large.includes(f)), large, bytes: files.reduce((s, f) => s + f.size, 0), symlinks };
}

// ---------------------------------------------------------------- tool configurations

/** btrbk's configuration: snapshots in `<top>/btrbk-snapshots`, `home` sent to `target`, everything kept. */
export function btrbkConfig(top, target, by) {
  return [
    `# Generated by ${by}`,
    'timestamp_format long-iso',
    'snapshot_preserve_min all',
    'target_preserve_min all',
    'transaction_log no',
    'lockfile no',
    `volume ${top}`,
    '  snapshot_dir btrbk-snapshots',
    '  subvolume home',
    `    target send-receive ${target}`,
    '',
  ].join('\n');
}

/** Rewind's configuration: one source, one btrfs destination "disk" found by UUID, everything kept. */
export function rewindConfig(home, destinationUuid) {
  const config = {
    version: 1,
    hostName: 'bench',
    sources: [{ path: home }],
    destinations: [{ id: 'disk', kind: 'btrfs', filesystem: destinationUuid }],
    retention: { local: { preset: 'keep-all' }, destinations: { preset: 'keep-all' } },
  };
  return `${JSON.stringify(config, null, 2)}\n`;
}

// ---------------------------------------------------------------- statistics

export function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

export const fmt = (x, digits = 3) => (x === undefined || Number.isNaN(x) ? 'n/a' : x.toFixed(digits));

// ---------------------------------------------------------------- the machine

/** Says so when other work will distort the figures. */
export function warnIfLoaded() {
  if (os.loadavg()[0] > os.cpus().length / 2) {
    log(`warning: the load average is ${os.loadavg()[0].toFixed(2)} on ${os.cpus().length} cores; other work will distort the figures`);
  }
}

/** The send options Rewind chooses (src/helper/system/send-capabilities.ts), so a raw pipe sends what Rewind sends. */
export function sendProtocolArgs() {
  let kernelProto = 1;
  try {
    kernelProto = Number(readFileSync('/sys/fs/btrfs/features/send_stream_version', 'utf8').trim());
  } catch {
    // Kernels before 5.19 have no such file and send protocol 1 only.
  }
  const help = sh('btrfs', ['send', '--help'], { allowFail: true });
  const progsProto = /--compressed-data/.test(help.stdout + help.stderr) && /--proto/.test(help.stdout + help.stderr);
  return kernelProto >= 2 && progsProto ? ['--proto', '2', '--compressed-data'] : [];
}

/** The facts every report starts with; `tools` adds each tool's own version line. */
export function machineFacts(protoArgs, tools) {
  return {
    date: new Date().toISOString(),
    cpu: (readFileSync('/proc/cpuinfo', 'utf8').match(/model name\s*:\s*(.*)/) ?? [])[1] ?? os.arch(),
    nproc: os.availableParallelism?.() ?? os.cpus().length,
    memGiB: Math.round(os.totalmem() / 2 ** 30),
    kernel: os.release(),
    btrfsProgs: sh('btrfs', ['--version']).trim(),
    ...tools,
    node: process.version,
    sendProtocol: protoArgs.length ? 'protocol 2, --compressed-data' : 'protocol 1',
    loadStart: os.loadavg(),
  };
}

// ---------------------------------------------------------------- the report

/** The load line of a report's machine section. */
export function loadLine(machine, samples) {
  return (
    `- load average (1, 5, 15 min): ${machine.loadStart.map((x) => x.toFixed(2)).join(', ')} at the start, ${machine.loadEnd.map((x) => x.toFixed(2)).join(', ')} at the end; ` +
    `1-minute load before the measurements: median ${fmt(median(samples.map((s) => s.load)), 2)}, max ${fmt(Math.max(...samples.map((s) => s.load)), 2)}`
  );
}

/** One row per job and tool, one column per repeat: every sample, in seconds. */
export function everySampleTable(samples, jobs, tools, repeats) {
  const columns = [...Array(repeats).keys()];
  const rows = ['| job | tool | ' + columns.map((r) => `#${r + 1}`).join(' | ') + ' |', `| --- | --- | ${columns.map(() => '---').join(' | ')} |`];
  for (const job of jobs) {
    for (const tool of tools) {
      const xs = columns.map((r) => samples.find((s) => s.tool === tool && s.job === job && s.repeat === r)?.seconds);
      rows.push(`| ${job} | ${tool} | ${xs.map((x) => fmt(x)).join(' | ')} |`);
    }
  }
  return rows;
}

/** The Node options the installed launcher gives the helper (build-aux/rewind-helper.in), so a benchmark runs it as installed. */
export function helperNodeFlags() {
  const launcher = readFileSync(new URL('../build-aux/rewind-helper.in', import.meta.url), 'utf8');
  const exec = launcher.split('\n').find((line) => line.startsWith('exec '));
  return exec ? [...exec.matchAll(/ (--[\w-]+(?:=\S+)?)/g)].map((m) => m[1]) : [];
}

/**
 * The helper's code cache as the installed launcher keeps it
 * (build-aux/rewind-helper.in, src/helper/entry/launcher.ts), in the benchmark's
 * own folder: every helper this process starts from now on uses it.
 */
export function useHelperCodeCache(tmp) {
  process.env.REWIND_CODE_CACHE_DIR = path.join(tmp, 'helper-code-cache');
}
