/**
 * The `nft` binary, as the applier and the tamper watch need it. Scripts go in on stdin
 * (`nft -f -`; LAB.md: `-j -f -` does not work, text does).
 */
import { runCommand, spawnLines, startCommand, type CommandResult, type LineProcess, type RunningCommand } from './run-command.ts';

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

  /** `nft -c -f -`: parse and check against the kernel, change nothing (a diagnostic after a refused swap). */
  check(script: string): Promise<CommandResult> {
    return runCommand(this.bin, [...this.pre, '-c', '-f', '-'], { stdin: script });
  }

  /** `nft -f -`: one transaction; the kernel applies all of it or none. */
  apply(script: string): Promise<CommandResult> {
    return this.start(script).done;
  }

  /** `nft -f -`, started: `written` tells when nft has all of the script (so this thread may get busy). */
  start(script: string): RunningCommand {
    return startCommand(this.bin, [...this.pre, '-f', '-'], { stdin: script });
  }

  /**
   * `nft -j list table inet NAME`, set elements included: code 1 with "No such file or
   * directory" when it is absent. nft 1.0.6 fetches every element for this, even with `-t`
   * (~0.3 s with 50k interval elements): the deep check, not the per-apply one.
   */
  listTableJson(family: string, table: string): Promise<CommandResult> {
    return runCommand(this.bin, [...this.pre, '-j', 'list', 'table', family, table]);
  }

  /**
   * `nft -j -t list ruleset`: every table, chain, rule and set declaration, without set
   * elements — nft does not even fetch them (~12 ms with a 50k-element set loaded).
   */
  listRulesetTerseJson(): Promise<CommandResult> {
    return runCommand(this.bin, [...this.pre, '-j', '-t', 'list', 'ruleset']);
  }

  listRuleset(): Promise<CommandResult> {
    return runCommand(this.bin, [...this.pre, 'list', 'ruleset']);
  }

  /** `nft monitor ruleset`: one line per change of any table on the host. */
  monitor(onLine: (line: string) => void, onExit: (code: number | null) => void): LineProcess {
    return spawnLines(this.bin, [...this.pre, 'monitor', 'ruleset'], onLine, onExit);
  }
}
