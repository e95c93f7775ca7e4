import type { OptionName } from "../cli-args";
import type { ProgressBar } from "../cli-output";
import type { SignedFileStoreClient } from "../index";

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
  /** Something the user should know that is not the result (stderr, so --json output stays one document). */
  readonly notice: (message: string) => void;
}

export type Command = (context: CommandContext) => Promise<void>;
