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
 * `workspace/didChangeConfiguration` (`{ "settings": { "dockerleak": … } }`):
 * docs/language-server.md#settings. Each overrides the `.dockerleak.toml`
 * nearest above the document; an empty one is not sent. */
export interface ServerSettings {
  select?: string[];
  ignore?: string[];
  minSeverity?: "note" | "warning" | "error";
  noInlineIgnores?: boolean;
  target?: string;
}

export function serverSettings(
  configuration: vscode.WorkspaceConfiguration,
): ServerSettings {
  const settings: ServerSettings = {};
  const select = configuration.get<string[]>("select", []);
  if (select.length > 0) {
    settings.select = select;
  }
  const ignore = configuration.get<string[]>("ignore", []);
  if (ignore.length > 0) {
    settings.ignore = ignore;
  }
  const minSeverity = configuration.get<ServerSettings["minSeverity"]>("minSeverity");
  if (minSeverity !== undefined && minSeverity !== "note") {
    settings.minSeverity = minSeverity;
  }
  if (configuration.get<boolean>("noInlineIgnores", false)) {
    settings.noInlineIgnores = true;
  }
  const target = configuration.get<string>("target", "").trim();
  if (target !== "") {
    settings.target = target;
  }
  return settings;
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
    // `workspace/didChangeConfiguration` with `settings.dockerleak`: the
    // same object as initializationOptions, not VS Code's raw section.
    middleware: {
      workspace: {
        didChangeConfiguration: async () => {
          await client?.sendNotification("workspace/didChangeConfiguration", {
            settings: {
              dockerleak: serverSettings(
                vscode.workspace.getConfiguration("dockerleak"),
              ),
            },
          });
        },
      },
    },
    // The server registers its own watcher for .dockerleak.toml and
    // .dockerignore (client/registerCapability), and re-lints on a change.
    synchronize: {
      configurationSection: "dockerleak",
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
