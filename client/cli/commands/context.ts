import type { SignedFileStoreClient } from "../../index";
import type { OptionName } from "../args";
import type { ProgressBar } from "../output";

/** What every command gets: the client, its arguments and options, and where it writes. */
export interface CommandContext {
  readonly client: SignedFileStoreClient;
  /** Positional arguments after the command's name. */
  readonly args: readonly string[];
  readonly opt: (name: OptionName) => string | undefined;
  readonly flag: (name: OptionName) => boolean;
  readonly bar: ProgressBar;
  /** The result: `json` as one JSON document under --json, `text` otherwise. */
  readonly result: (json: unknown, text: string) => void;
  /** Whether --json was asked for, for commands that print text as it arrives rather than at the end. */
  readonly json: boolean;
  /** Lines of the text result as they arrive (a long listing), never under --json. */
  readonly lines: (lines: readonly string[]) => void;
  /** Whether stdin is a terminal someone can answer a question on. */
  readonly interactive: boolean;
  /** Asks a yes/no question on the terminal; true only for an answer of y or yes. */
  readonly confirm: (question: string) => Promise<boolean>;
  /** Something the user should know that is not the result (stderr, so --json output stays one document). */
  readonly notice: (message: string) => void;
}

/** A command's exit code when it differs from 0 (some keys of a batch refused, say). */
export type Command = (context: CommandContext) => Promise<number | undefined>;
