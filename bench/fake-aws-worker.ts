import { isMainThread, parentPort, workerData } from "node:worker_threads";
import { moduleWorker } from "../local/stack/module-worker";
import { type FakeAwsOptions, startFakeAws } from "./fake-aws";

/**
 * The fake AWS services on a thread of their own, for timing: on the timing thread they would answer
 * the measured process's requests on the same event loop that waits for its answer, and their own
 * work (verifying every signature) would land in the figures as if it were the function's.
 */
export async function startFakeAwsThread(
  options: Omit<FakeAwsOptions, "clock">,
): Promise<{ url: string; close(): Promise<void> }> {
  const worker = moduleWorker(__filename, { options });
  const url = await new Promise<string>((resolve, reject) => {
    worker.once("message", resolve);
    worker.once("error", reject);
  });
  return { url, close: () => worker.terminate().then(() => undefined) };
}

if (!isMainThread && parentPort) {
  const port = parentPort;
  const { options } = workerData as { options: FakeAwsOptions };
  startFakeAws(options).then((aws) => port.postMessage(aws.url));
}
