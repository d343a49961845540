/**
 * The `nft` binary, as the applier and the tamper watch need it. Scripts go in on stdin
 * (`nft -f -`; LAB.md: `-j -f -` does not work, text does).
 */
import { runCommand, spawnLines, type CommandResult, type LineProcess } from './run-command.ts';

export interface NftOptions {
  /**
   * The argv that runs nft; default `['nft']` from PATH. Tests prefix it to run nft in a
   * throwaway network namespace (`['ip', 'netns', 'exec', 'ns', 'nft']`).
   */
  readonly command?: readonly string[];
}

export class Nft {
  private readonly bin: string;
  private readonly pre: readonly string[];

  constructor(opts: NftOptions = {}) {
    const [bin = 'nft', ...pre] = opts.command ?? ['nft'];
    this.bin = bin;
    this.pre = pre;
  }

  /** `nft -c -f -`: parse and check against the kernel, change nothing. */
  check(script: string): Promise<CommandResult> {
    return runCommand(this.bin, [...this.pre, '-c', '-f', '-'], { stdin: script });
  }

  /** `nft -f -`: one transaction; the kernel applies all of it or none. */
  apply(script: string): Promise<CommandResult> {
    return runCommand(this.bin, [...this.pre, '-f', '-'], { stdin: script });
  }

  /** `nft -j list table inet NAME`: code 1 with "No such file or directory" when it is absent. */
  listTableJson(family: string, table: string): Promise<CommandResult> {
    return runCommand(this.bin, [...this.pre, '-j', 'list', 'table', family, table]);
  }

  listRuleset(): Promise<CommandResult> {
    return runCommand(this.bin, [...this.pre, 'list', 'ruleset']);
  }

  /** `nft monitor ruleset`: one line per change of any table on the host. */
  monitor(onLine: (line: string) => void, onExit: (code: number | null) => void): LineProcess {
    return spawnLines(this.bin, [...this.pre, 'monitor', 'ruleset'], onLine, onExit);
  }
}
