/**
 * Runs a shell script inside a QEMU guest booted with Debian's own kernel (LAB.md, "Real
 * kernel IPsec"): this machine's kernel has no ESP, the guest's has. TCG only (`-accel tcg`).
 *
 * The guest sees the host's root filesystem read-only over 9p with a tmpfs overlay on top, so
 * every host binary (node, nft, ip, charon, swanctl, busybox) and the project tree run inside
 * unchanged, at the same paths; writes outside the run dir vanish with the guest. A second 9p
 * tag `run` (read-write) is a fresh host temp dir that carries the script in and its output
 * and exit code out; inside the guest it is mounted at `/palisade-run` (also `$RUN`).
 *
 * Boot takes ~16 s under TCG before the script starts. The initramfs (busybox plus 11
 * modules) is built once per kernel version and cached under the OS temp dir.
 * `PALISADE_KEEP_GUEST=1` keeps the run dir (script, output, rc, serial log) and prints it.
 */
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, statSync, writeFileSync, chmodSync } from 'node:fs';
import { readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';

export interface GuestOptions {
  /** Limit for the script itself (guest-side `timeout`); QEMU gets this plus a boot margin. Default 300. */
  readonly timeoutSec?: number;
  /** Extra files written into the run dir, by name: `$RUN/<name>` inside the guest. */
  readonly files?: Record<string, string>;
  /**
   * QEMU user networking (slirp) on a virtio NIC: the guest's `eth0` (after `modprobe virtio_net`)
   * reaches the host's loopback at 10.0.2.2, nothing else is set up (the script configures
   * 10.0.2.15/24). Default: no NIC at all.
   */
  readonly userNet?: boolean;
  /**
   * Called once QEMU runs, with the run dir (the guest's `$RUN`, shared live over 9p): lets
   * the host answer the script while it runs (see `serveGuestSteps`). Its promise is awaited
   * after the guest powered off; a rejection fails the run.
   */
  readonly whileRunning?: (runDir: string, guestDone: AbortSignal) => Promise<void>;
}

export interface GuestResult {
  /** The script's exit code (124: the guest-side timeout fired). */
  readonly rc: number;
  /** The script's stdout and stderr, interleaved. */
  readonly output: string;
  /** QEMU's serial console (kernel messages, init errors). */
  readonly log: string;
  /** From QEMU start to QEMU exit. */
  readonly ms: number;
}

const INSTALL_HINT = 'run scripts/install-test-deps.sh (Debian: apt-get install --no-install-recommends qemu-system-x86 linux-image-amd64 busybox-static kmod cpio)';
/** `PALISADE_GUEST_QEMU` points at another QEMU build. */
const QEMU = process.env['PALISADE_GUEST_QEMU'] ?? '/usr/bin/qemu-system-x86_64';
const BUSYBOX = '/bin/busybox';
/** LAB.md's order: each module's dependencies come before it. */
const INITRAMFS_MODULES = ['virtio_ring', 'virtio', 'virtio_pci_legacy_dev', 'virtio_pci_modern_dev', 'virtio_pci', 'netfs', 'fscache', '9pnet', '9pnet_virtio', '9p', 'overlay'] as const;
/** Seconds QEMU gets beyond the script's own limit: boot, module loading, poweroff. */
const BOOT_MARGIN_SEC = 120;
const GUEST_RUN = '/palisade-run';

/**
 * The guest kernel's version from `linux-image-amd64`'s dependency (e.g.
 * `linux-image-6.1.0-56-amd64 (= 6.1.192-2)` → `6.1.0-56-amd64`), never "the newest in /boot".
 */
export function guestKernelVersion(): string {
  let depends: string;
  try {
    depends = execFileSync('dpkg-query', ['-W', '-f=${Depends}', 'linux-image-amd64'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
  } catch {
    throw new Error(`the guest kernel package linux-image-amd64 is not installed: ${INSTALL_HINT}`);
  }
  const m = /linux-image-(\d[^\s,()|]*)/.exec(depends);
  if (!m?.[1]) throw new Error(`cannot read a kernel version from linux-image-amd64's dependency ${JSON.stringify(depends)}`);
  return m[1];
}

function executable(path: string): boolean {
  try {
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

function onPath(cmd: string): boolean {
  for (const dir of ['/usr/local/sbin', '/usr/local/bin', '/usr/sbin', '/usr/bin', '/sbin', '/bin']) if (executable(join(dir, cmd))) return true;
  return false;
}

/** Whether a guest can boot here; `why` names what is missing and how to get it. */
export function guestAvailable(): { ok: boolean; why?: string } {
  if (process.platform !== 'linux' || process.arch !== 'x64') return { ok: false, why: `the guest needs x86-64 Linux, this is ${process.platform}/${process.arch}` };
  const missing: string[] = [];
  if (!executable(QEMU)) missing.push(`${QEMU} (qemu-system-x86)`);
  if (!executable(BUSYBOX)) missing.push(`${BUSYBOX} (busybox-static)`);
  if (!onPath('cpio')) missing.push('cpio');
  if (!onPath('modinfo')) missing.push('modinfo (kmod)');
  let kernel = '';
  try {
    kernel = guestKernelVersion();
  } catch (e) {
    missing.push(e instanceof Error ? e.message : String(e));
  }
  if (kernel !== '') {
    if (!existsSync(`/boot/vmlinuz-${kernel}`)) missing.push(`/boot/vmlinuz-${kernel}`);
    if (!existsSync(`/lib/modules/${kernel}`)) missing.push(`/lib/modules/${kernel}`);
  }
  if (missing.length > 0) return { ok: false, why: `QEMU guest unavailable, missing: ${missing.join('; ')} — ${INSTALL_HINT}` };
  return { ok: true };
}

/** busybox /init of the initramfs: 9p host root (read-only) + tmpfs overlay, then the guest init. */
function initramfsInit(): string {
  return `#!/bin/busybox sh
/bin/busybox --install -s /bin
export PATH=/bin
mkdir -p /proc /sys /dev /hostroot /upper /newroot
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
for m in ${INITRAMFS_MODULES.join(' ')}; do
  [ -e /modules/$m.ko ] && insmod /modules/$m.ko
done
fail() { echo "palisade-initramfs: $*"; poweroff -f; }
mount -t 9p -o ro,trans=virtio,version=9p2000.L,msize=1048576,cache=loose hostroot /hostroot || fail "mount hostroot"
mount -t tmpfs -o mode=0755 tmpfs /upper || fail "mount tmpfs"
mkdir -p /upper/data /upper/work
mount -t overlay overlay -o lowerdir=/hostroot,upperdir=/upper/data,workdir=/upper/work /newroot || fail "mount overlay"
cp /guest-init /newroot/palisade-guest-init && chmod 0755 /newroot/palisade-guest-init || fail "copy guest init"
mount --move /proc /newroot/proc
mount --move /sys /newroot/sys
mount --move /dev /newroot/dev
exec switch_root /newroot /palisade-guest-init
`;
}

/**
 * The guest's init after switch_root (the host's dash): runtime mounts, the run dir, the
 * script under `timeout`, its exit code into `rc`, power off.
 */
function guestInit(): string {
  return `#!/bin/sh
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
export HOME=/root LANG=C.UTF-8
mkdir -p /dev/pts /dev/shm
mount -t devpts devpts /dev/pts
mount -t tmpfs tmpfs /run
mount -t tmpfs tmpfs /dev/shm
# No tmpfs on /tmp: the overlay root is writable already, and a fresh /tmp would hide a
# checkout that lives under the host's /tmp (a CI clone) from the guest.
mkdir -p ${GUEST_RUN}
if mount -t 9p -o trans=virtio,version=9p2000.L,msize=1048576 run ${GUEST_RUN}; then
  ip link set lo up
  limit=$(cat ${GUEST_RUN}/timeout)
  cd ${GUEST_RUN}
  RUN=${GUEST_RUN} timeout "$limit" /bin/sh ${GUEST_RUN}/script.sh > ${GUEST_RUN}/output 2>&1 < /dev/null
  echo $? > ${GUEST_RUN}/rc
  sync
else
  echo "palisade-guest-init: cannot mount the run dir"
fi
/bin/busybox poweroff -f
echo o > /proc/sysrq-trigger
`;
}

let initramfsMemo: { kernel: string; path: string } | undefined;

/** The cached initramfs for `kernel`, built on first use (atomically: a temp file renamed into place). */
export function ensureInitramfs(kernel: string): string {
  if (initramfsMemo?.kernel === kernel && existsSync(initramfsMemo.path)) return initramfsMemo.path;
  const cacheDir = join(tmpdir(), `palisade-guest-initramfs-${kernel}`);
  const path = join(cacheDir, 'initramfs.cpio.gz');
  const recipe = `${INITRAMFS_MODULES.join(' ')}\n${initramfsInit()}\n${guestInit()}`;
  const recipeFile = join(cacheDir, 'recipe');
  if (existsSync(path) && existsSync(recipeFile) && readFileSync(recipeFile, 'utf8') === recipe) {
    initramfsMemo = { kernel, path };
    return path;
  }
  mkdirSync(cacheDir, { recursive: true });
  const stage = mkdtempSync(join(cacheDir, 'stage-'));
  try {
    const root = join(stage, 'root');
    for (const d of ['bin', 'modules', 'proc', 'sys', 'dev', 'hostroot', 'upper', 'newroot']) mkdirSync(join(root, d), { recursive: true });
    execFileSync('cp', [BUSYBOX, join(root, 'bin', 'busybox')]);
    for (const m of INITRAMFS_MODULES) {
      const file = execFileSync('modinfo', ['-k', kernel, '-n', m], { encoding: 'utf8' }).trim();
      if (file === '' || file.startsWith('(builtin)') || !file.startsWith('/')) continue; // built into this kernel
      const out = join(root, 'modules', `${m}.ko`);
      if (file.endsWith('.ko')) execFileSync('cp', [file, out]);
      else if (file.endsWith('.ko.xz')) writeFileSync(out, execFileSync('xz', ['-dc', file]));
      else if (file.endsWith('.ko.zst')) writeFileSync(out, execFileSync('zstd', ['-dcq', file]));
      else throw new Error(`module ${m} of kernel ${kernel} is ${basename(file)}: unknown compression`);
    }
    writeFileSync(join(root, 'init'), initramfsInit());
    chmodSync(join(root, 'init'), 0o755);
    writeFileSync(join(root, 'guest-init'), guestInit());
    chmodSync(join(root, 'guest-init'), 0o755);
    const tmp = join(stage, 'initramfs.cpio.gz');
    execFileSync('sh', ['-c', 'cd "$1" && find . | cpio -o -H newc --quiet | gzip -1 > "$2"', 'sh', root, tmp]);
    renameSync(tmp, path);
    writeFileSync(recipeFile, recipe);
  } finally {
    rmSync(stage, { recursive: true, force: true });
  }
  initramfsMemo = { kernel, path };
  return path;
}

/**
 * LAB.md's QEMU command line, as checked there, plus `no_timer_check`: on a heavily loaded
 * host the emulated CPU can be starved while the kernel checks the IO-APIC timer, and it
 * panics ("IO-APIC + timer doesn't work"; seen at load 20 on 2 cores).
 */
export function qemuArgs(kernel: string, initrd: string, runDir: string, userNet = false): string[] {
  return [
    '-accel', 'tcg', '-cpu', 'max', '-m', '2048', '-smp', '2', '-M', 'q35',
    '-nodefaults', '-no-user-config', '-display', 'none', '-serial', 'stdio', '-monitor', 'none', '-no-reboot',
    '-kernel', `/boot/vmlinuz-${kernel}`, '-initrd', initrd,
    '-append', 'console=ttyS0 panic=-1 rdinit=/init quiet loglevel=3 mitigations=off no_timer_check',
    '-fsdev', 'local,id=root,path=/,security_model=passthrough,readonly=on,multidevs=remap',
    '-device', 'virtio-9p-pci,fsdev=root,mount_tag=hostroot',
    '-fsdev', `local,id=run,path=${runDir},security_model=passthrough`,
    '-device', 'virtio-9p-pci,fsdev=run,mount_tag=run',
    '-device', 'virtio-rng-pci',
    ...(userNet ? ['-nic', 'user,model=virtio-net-pci'] : ['-nic', 'none']),
  ];
}

function tail(text: string, lines: number): string {
  return text.split('\n').slice(-lines).join('\n');
}

/**
 * Boots a guest, runs `script` with `/bin/sh` (dash) as root inside it, and returns its exit
 * code and output once the guest has powered off. Rejects when the guest cannot boot or
 * does not finish within `timeoutSec` plus a boot margin (QEMU is then killed by its PID).
 */
export async function runInGuest(script: string, opts: GuestOptions = {}): Promise<GuestResult> {
  const avail = guestAvailable();
  if (!avail.ok) throw new Error(avail.why ?? 'QEMU guest unavailable');
  const timeoutSec = opts.timeoutSec ?? 300;
  const kernel = guestKernelVersion();
  const initrd = ensureInitramfs(kernel);
  const runDir = mkdtempSync(join(tmpdir(), 'palisade-guest-run-'));
  const keep = process.env['PALISADE_KEEP_GUEST'] === '1';
  const guestDone = new AbortController();
  try {
    writeFileSync(join(runDir, 'script.sh'), script);
    writeFileSync(join(runDir, 'timeout'), `${timeoutSec}\n`);
    for (const [name, content] of Object.entries(opts.files ?? {})) {
      if (!/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(name) || ['script.sh', 'timeout', 'output', 'rc', 'serial.log'].includes(name)) throw new Error(`guest file name ${JSON.stringify(name)} is not allowed`);
      writeFileSync(join(runDir, name), content);
    }
    const started = Date.now();
    const child = spawn(QEMU, qemuArgs(kernel, initrd, runDir, opts.userNet === true), { stdio: ['ignore', 'pipe', 'pipe'] });
    // Rejections are read after the guest is gone (below); none may go unhandled meanwhile.
    const helper = opts.whileRunning?.(runDir, guestDone.signal).then(() => undefined, (e: unknown) => e);
    // A test process that exits (or is interrupted) mid-run takes its guest with it.
    const killOnExit = (): void => {
      if (child.pid !== undefined && child.exitCode === null && child.signalCode === null) {
        try {
          process.kill(child.pid, 'SIGKILL');
        } catch {
          // already gone
        }
      }
    };
    process.once('exit', killOnExit);
    const chunks: Buffer[] = [];
    child.stdout.on('data', (c: Buffer) => chunks.push(c));
    child.stderr.on('data', (c: Buffer) => chunks.push(c));
    const limitMs = (timeoutSec + BOOT_MARGIN_SEC) * 1000;
    let timedOut = false;
    const exit = await new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve, reject) => {
      const timer = setTimeout(() => {
        timedOut = true;
        if (child.pid !== undefined) {
          try {
            process.kill(child.pid, 'SIGKILL');
          } catch {
            // already gone
          }
        }
      }, limitMs);
      child.on('error', (e) => {
        clearTimeout(timer);
        process.removeListener('exit', killOnExit);
        reject(e);
      });
      child.on('close', (code, signal) => {
        clearTimeout(timer);
        process.removeListener('exit', killOnExit);
        resolve({ code, signal });
      });
    });
    const ms = Date.now() - started;
    guestDone.abort();
    const helperError = await helper;
    const log = Buffer.concat(chunks).toString('utf8');
    if (keep) writeFileSync(join(runDir, 'serial.log'), log);
    if (timedOut) throw new Error(`QEMU guest did not finish within ${timeoutSec + BOOT_MARGIN_SEC} s and was killed; serial log tail:\n${tail(log, 30)}`);
    const rcFile = join(runDir, 'rc');
    const outFile = join(runDir, 'output');
    const output = existsSync(outFile) ? readFileSync(outFile, 'utf8') : '';
    if (!existsSync(rcFile)) {
      throw new Error(`QEMU guest exited (code ${String(exit.code)}, signal ${String(exit.signal)}) without running the script to the end; serial log tail:\n${tail(log, 30)}\noutput tail:\n${tail(output, 30)}`);
    }
    if (helperError !== undefined) throw new Error(`the host side of the guest run failed: ${helperError instanceof Error ? (helperError.stack ?? helperError.message) : String(helperError)}\noutput tail:\n${tail(output, 30)}`);
    const rc = Number.parseInt(readFileSync(rcFile, 'utf8').trim(), 10);
    return { rc: Number.isNaN(rc) ? -1 : rc, output, log, ms };
  } finally {
    guestDone.abort();
    if (keep) process.stderr.write(`PALISADE_KEEP_GUEST: run dir kept at ${runDir}\n`);
    else rmSync(runDir, { recursive: true, force: true });
  }
}

/** What a guest step answers: text the script reads back (`$(step NAME ARGS…)`). */
export type GuestStep = (args: string) => Promise<string>;

/**
 * The shell side of `serveGuestSteps`, for a guest script: `step NAME [ARGS…]` asks the host to
 * run its handler NAME and prints the handler's answer; it fails (status 1) when the handler
 * failed or did not answer within `STEP_TIMEOUT` seconds (default 120).
 */
export const GUEST_STEP_SH = String.raw`
step() {
  _n=$1; shift
  rm -f "$RUN/step-$_n.done"
  echo "$*" > "$RUN/step-$_n.tmp" && mv "$RUN/step-$_n.tmp" "$RUN/step-$_n.req"
  _i=0
  while [ ! -e "$RUN/step-$_n.done" ] && [ $_i -lt $(( ${'$'}{STEP_TIMEOUT:-120} * 5 )) ]; do sleep 0.2; _i=$((_i + 1)); done
  [ -e "$RUN/step-$_n.done" ] || { echo "step $_n: no answer from the host" >&2; return 1; }
  cat "$RUN/step-$_n.done"
  ! grep -q '^STEP-FAILED' "$RUN/step-$_n.done"
}
`;

/**
 * Host side of guest steps: watches the live run dir for `step-NAME.req` (written by the
 * script's `step` function), runs `handlers[NAME]` with the request's text, and answers in
 * `step-NAME.done`. Use it as `whileRunning`. Resolves when the guest is done; rejects then
 * with the first handler failure (which the script also saw as `STEP-FAILED …`).
 */
export async function serveGuestSteps(runDir: string, done: AbortSignal, handlers: Readonly<Record<string, GuestStep>>): Promise<void> {
  let failure: unknown;
  while (!done.aborted) {
    for (const f of await readdir(runDir)) {
      const m = /^step-([A-Za-z0-9_-]+)\.req$/.exec(f);
      if (!m?.[1]) continue;
      const name = m[1];
      const args = (await readFile(join(runDir, f), 'utf8')).trim();
      await rm(join(runDir, f), { force: true });
      let answer: string;
      try {
        const handler = handlers[name];
        if (!handler) throw new Error(`no host step named ${name}`);
        answer = await handler(args);
      } catch (e) {
        failure ??= e;
        answer = `STEP-FAILED ${name}: ${e instanceof Error ? e.message : String(e)}`;
      }
      await writeFile(join(runDir, `step-${name}.tmp-done`), `${answer}\n`);
      await rename(join(runDir, `step-${name}.tmp-done`), join(runDir, `step-${name}.done`));
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  if (failure !== undefined) throw failure;
}
