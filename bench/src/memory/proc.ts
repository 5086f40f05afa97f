/**
 * What the memory bench reads of a process from Linux's /proc: its resident set now and at its
 * peak, the peak's reset, its descendants, and which of them listens on a TCP port.
 */
import { readdirSync, readFileSync, readlinkSync, writeFileSync } from 'node:fs';

const MiB = 1024 * 1024;

/** `VmRSS` (now) and `VmHWM` (the peak since start or since {@link resetPeak}), in MiB. */
export function residentSet(pid: number): { rss: number; hwm: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kib = (field: string) => {
    const match = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status);
    if (!match) throw new Error(`/proc/${pid}/status has no ${field}`);
    return (Number(match[1]) * 1024) / MiB;
  };
  return { rss: kib('VmRSS'), hwm: kib('VmHWM') };
}

/**
 * Resets `VmHWM` to the current resident set (`5` written to /proc/PID/clear_refs, Linux 4.0+).
 * Returns false when the kernel refuses it; the caller then relies on polling `VmRSS`.
 */
export function resetPeak(pid: number): boolean {
  try {
    writeFileSync(`/proc/${pid}/clear_refs`, '5');
    return true;
  } catch {
    return false;
  }
}

/** The pids of every descendant of `pid` (children first), from each process's parent pid. */
export function descendants(pid: number): number[] {
  const children = new Map<number, number[]>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    let stat: string;
    try {
      stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
    } catch {
      continue; // exited meanwhile
    }
    // The command name is in parentheses and may hold spaces: the parent pid follows the last ')'.
    const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
    const list = children.get(ppid) ?? [];
    list.push(Number(entry));
    children.set(ppid, list);
  }
  const found: number[] = [];
  const queue = [pid];
  while (queue.length > 0) {
    for (const child of children.get(queue.shift()!) ?? []) {
      found.push(child);
      queue.push(child);
    }
  }
  return found;
}

/** The socket inodes listening on TCP `port` (IPv4 or IPv6). */
function listeningInodes(port: number): Set<string> {
  const inodes = new Set<string>();
  const hexPort = port.toString(16).toUpperCase().padStart(4, '0');
  for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
    let text: string;
    try {
      text = readFileSync(table, 'utf8');
    } catch {
      continue;
    }
    for (const line of text.split('\n').slice(1)) {
      const fields = line.trim().split(/\s+/);
      // local_address is ADDR:PORT, st 0A is LISTEN, inode is the tenth field.
      if (fields.length > 9 && fields[1]!.endsWith(`:${hexPort}`) && fields[3] === '0A') {
        inodes.add(fields[9]!);
      }
    }
  }
  return inodes;
}

/**
 * The process among `root` and its descendants that holds the socket listening on `port`: the
 * server itself, below whatever started it (pnpm, a shell, a launcher).
 */
export function listeningPid(root: number, port: number): number {
  const inodes = listeningInodes(port);
  for (const pid of [root, ...descendants(root)]) {
    let fds: string[];
    try {
      fds = readdirSync(`/proc/${pid}/fd`);
    } catch {
      continue;
    }
    for (const fd of fds) {
      try {
        const target = readlinkSync(`/proc/${pid}/fd/${fd}`);
        const inode = /^socket:\[(\d+)\]$/.exec(target)?.[1];
        if (inode && inodes.has(inode)) return pid;
      } catch {
        // closed meanwhile
      }
    }
  }
  throw new Error(`no process under pid ${root} listens on port ${port}`);
}

/** Samples `VmRSS` of `pid` every `intervalMs` until stopped; `stop()` answers the largest, in MiB. */
export function pollResidentSet(pid: number, intervalMs = 100): { stop(): number } {
  let max = residentSet(pid).rss;
  const timer = setInterval(() => {
    try {
      max = Math.max(max, residentSet(pid).rss);
    } catch {
      // it exited: the caller finds out from the load
    }
  }, intervalMs);
  return {
    stop() {
      clearInterval(timer);
      return max;
    },
  };
}

/** CPU time (user + system) `pid` has used so far, in seconds (/proc/PID/stat, clock ticks of 1/100 s). */
export function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // utime and stime are the 14th and 15th fields; the 3rd is the first after the command's ')'.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}
