// The dockerleak extension: starts `dockerleak server` (the language server
// that ships in the dockerleak binary) for Dockerfiles and passes it the
// `dockerleak.*` settings. Everything else (diagnostics, quick fixes, fix
// all, hover) comes from the server.

import * as vscode from "vscode";
import {
  LanguageClient,
  LanguageClientOptions,
  ServerOptions,
  TransportKind,
} from "vscode-languageclient/node";

/** The documents the server checks: the `dockerfile` language, and the
 * names dockerleak treats as Dockerfiles whatever their language. */
const NAMES = "**/{Dockerfile,Containerfile,*.dockerfile,*.containerfile,Dockerfile.*,Containerfile.*}";

export const documentSelector = [
  { scheme: "file", language: "dockerfile" },
  { scheme: "untitled", language: "dockerfile" },
  { scheme: "file", pattern: NAMES },
];

/** The settings the server reads, as sent in `initializationOptions` and
 * `workspace/didChangeConfiguration` (`{ "settings": { "dockerleak": … } }`).
 * Keys as in `.dockerleak.toml` where there is one. */
export interface ServerSettings {
  select: string[];
  ignore: string[];
  config: string | null;
  noConfig: boolean;
  unsafeFixes: boolean;
}

export function serverSettings(
  configuration: vscode.WorkspaceConfiguration,
): ServerSettings {
  const config = configuration.get<string>("config", "").trim();
  return {
    select: configuration.get<string[]>("select", []),
    ignore: configuration.get<string[]>("ignore", []),
    config: config === "" ? null : config,
    noConfig: configuration.get<boolean>("noConfig", false),
    unsafeFixes: configuration.get<boolean>("unsafeFixes", false),
  };
}

let client: LanguageClient | undefined;
let output: vscode.LogOutputChannel | undefined;

function executable(): string {
  const path = vscode.workspace
    .getConfiguration("dockerleak")
    .get<string>("path", "dockerleak")
    .trim();
  return path === "" ? "dockerleak" : path;
}

async function start(context: vscode.ExtensionContext): Promise<void> {
  const configuration = vscode.workspace.getConfiguration("dockerleak");
  if (!configuration.get<boolean>("enable", true)) {
    return;
  }
  output ??= vscode.window.createOutputChannel("dockerleak", { log: true });
  const command = executable();
  const serverOptions: ServerOptions = {
    command,
    args: ["server"],
    transport: TransportKind.stdio,
  };
  const clientOptions: LanguageClientOptions = {
    documentSelector,
    outputChannel: output,
    initializationOptions: serverSettings(configuration),
    synchronize: {
      // `workspace/didChangeConfiguration` with the `dockerleak` section.
      configurationSection: "dockerleak",
      // The server re-lints open documents when these change.
      fileEvents: vscode.workspace.createFileSystemWatcher(
        "**/{.dockerleak.toml,.dockerignore,*.dockerignore}",
      ),
    },
  };
  client = new LanguageClient(
    "dockerleak",
    "dockerleak",
    serverOptions,
    clientOptions,
  );
  try {
    await client.start();
  } catch (error) {
    client = undefined;
    const message = error instanceof Error ? error.message : String(error);
    void vscode.window
      .showErrorMessage(
        `dockerleak: could not start \`${command} server\` (${message}). ` +
          "Install dockerleak (pip install dockerleak, or cargo install dockerleak) " +
          "or set dockerleak.path.",
        "Open settings",
      )
      .then((choice) => {
        if (choice === "Open settings") {
          void vscode.commands.executeCommand(
            "workbench.action.openSettings",
            "dockerleak.path",
          );
        }
      });
  }
  context.subscriptions.push({ dispose: () => void stop() });
}

async function stop(): Promise<void> {
  const running = client;
  client = undefined;
  if (running !== undefined) {
    await running.stop();
  }
}

export async function activate(
  context: vscode.ExtensionContext,
): Promise<void> {
  context.subscriptions.push(
    vscode.commands.registerCommand("dockerleak.restart", async () => {
      await stop();
      await start(context);
    }),
    vscode.commands.registerCommand("dockerleak.showOutput", () =>
      output?.show(),
    ),
    vscode.workspace.onDidChangeConfiguration(async (event) => {
      // The server takes the rest as didChangeConfiguration; these decide
      // which process runs, or whether one does.
      if (
        event.affectsConfiguration("dockerleak.path") ||
        event.affectsConfiguration("dockerleak.enable")
      ) {
        await stop();
        await start(context);
      }
    }),
  );
  await start(context);
}

export async function deactivate(): Promise<void> {
  await stop();
}
