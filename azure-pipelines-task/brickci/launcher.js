// The task's Node handler: starts the bundled Linux brickci binary, which reads the task's
// inputs itself from the INPUT_* variables the agent sets, and turns its exit code into the
// task result. No task library: it would move INPUT_* out of the environment before the
// binary could read them.
'use strict';

const { spawn } = require('child_process');
const fs = require('fs');
const path = require('path');

// What each exit class means to the person reading the pipeline run (see brickci's exit codes).
const EXIT_MESSAGES = {
  1: 'the Databricks run, a test, the model gate or the triggered run failed (details above)',
  2: 'bad input: check the task inputs and the bundle (the error above names the input, file or key)',
  3: 'authentication failed: check the workspace URL and the credentials mapped into the step (the error above names the one missing or refused)',
  4: 'the Databricks API (or the trigger\'s service) failed after retries (details above)',
  130: 'cancelled (SIGINT), the Databricks run was cancelled too',
  143: 'cancelled (SIGTERM), the Databricks run was cancelled too',
};

const SIGNAL_NUMBERS = { SIGINT: 2, SIGTERM: 15, SIGKILL: 9, SIGHUP: 1 };

// Logging-command escaping as the agent decodes it.
function escape(text) {
  return String(text)
    .replace(/%/g, '%AZP25')
    .replace(/\r/g, '%0D')
    .replace(/\n/g, '%0A')
    .replace(/]/g, '%5D')
    .replace(/;/g, '%3B');
}

// Sets the step's result. The Node handler treats a non-zero exit as a crash, so the result
// travels in task.complete and the process ends with 0, by running out of work (stdout may be
// an asynchronous pipe off Linux: an explicit exit could cut the message).
function complete(result, message) {
  if (result === 'Failed') {
    process.stdout.write(`##vso[task.logissue type=error]${escape(message)}\n`);
  }
  process.stdout.write(`##vso[task.complete result=${result};]${escape(message)}\n`);
  process.exitCode = 0;
}

function binaryPath() {
  return path.join(__dirname, 'bin', 'brickci');
}

// Extraction of the .vsix on the agent may drop the executable bit.
function ensureExecutable(file) {
  const mode = fs.statSync(file).mode;
  if ((mode & 0o111) !== 0o111) {
    fs.chmodSync(file, mode | 0o755);
  }
}

function main() {
  if (process.platform !== 'linux') {
    complete('Failed', `brickci runs on Linux agents only, this agent is ${process.platform}. Use a Linux pool (e.g. vmImage: ubuntu-latest).`);
    return;
  }
  if (process.arch !== 'x64') {
    complete('Failed', `brickci ships an x86_64 binary, this agent is ${process.arch}. Use an x64 Linux agent.`);
    return;
  }
  const bin = binaryPath();
  try {
    ensureExecutable(bin);
  } catch (e) {
    complete('Failed', `the task's brickci binary is missing or unreadable at ${bin}: ${e.message}`);
    return;
  }

  // No arguments: the binary builds its command line from the INPUT_* variables.
  const child = spawn(bin, [], { stdio: 'inherit', env: process.env });

  // A cancelled job signals the handler; the binary cancels its Databricks run on the same
  // signal, so pass it on and wait for the binary to finish.
  for (const sig of ['SIGINT', 'SIGTERM']) {
    process.on(sig, () => {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill(sig);
      }
    });
  }

  let done = false;
  const finish = (result, message) => {
    if (done) return;
    done = true;
    for (const sig of ['SIGINT', 'SIGTERM']) process.removeAllListeners(sig);
    complete(result, message);
  };
  child.on('error', (e) => {
    finish('Failed', `could not start ${bin}: ${e.message}`);
  });
  child.on('exit', (code, signal) => {
    const status = code !== null ? code : 128 + (SIGNAL_NUMBERS[signal] || 0);
    if (status === 0) {
      finish('Succeeded', 'brickci finished');
      return;
    }
    const why = EXIT_MESSAGES[status] || `brickci exited with code ${status}`;
    finish('Failed', `brickci failed (exit ${status}): ${why}`);
  });
}

main();
