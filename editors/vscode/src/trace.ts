// The `kg-ls trace` output channel, switched on and off by the `kg-ls.trace.server` setting.
//
// vscode-languageclient 11 traces only while its trace channel's log level is Trace, and then
// reads `kg-ls.trace.server` as the verbosity only (even `off` traces messages). The level of a
// `LogOutputChannel` belongs to the user ("Developer: Set Log Level"), so the setting alone
// would trace nothing. This channel is a plain output channel whose log level is the setting's:
// Trace when it is `messages`, `compact` or `verbose`, Off when it is `off`.

import * as vscode from 'vscode';

import { tracing } from './settings';

/** The setting the client's trace follows; vscode-languageclient reads `<client id>.trace.server`. */
const SETTING = 'kg-ls.trace.server';

export class TraceChannel implements vscode.LogOutputChannel {
  private readonly channel: vscode.OutputChannel;
  private readonly changed = new vscode.EventEmitter<vscode.LogLevel>();
  private readonly watch: vscode.Disposable;
  private level: vscode.LogLevel;

  readonly onDidChangeLogLevel = this.changed.event;

  constructor(readonly name: string) {
    this.channel = vscode.window.createOutputChannel(name, 'log');
    this.level = TraceChannel.configured();
    this.watch = vscode.workspace.onDidChangeConfiguration((e) => {
      if (!e.affectsConfiguration(SETTING)) return;
      const level = TraceChannel.configured();
      if (level !== this.level) {
        this.level = level;
        this.changed.fire(level);
      }
    });
  }

  private static configured(): vscode.LogLevel {
    return tracing(vscode.workspace.getConfiguration().get(SETTING)) ? vscode.LogLevel.Trace : vscode.LogLevel.Off;
  }

  get logLevel(): vscode.LogLevel {
    return this.level;
  }

  private log(tag: string, level: vscode.LogLevel, message: string | Error, args: unknown[]): void {
    if (this.level === vscode.LogLevel.Off || level < this.level) return;
    const text = [message instanceof Error ? (message.stack ?? message.message) : message, ...args.map(String)].join(' ');
    this.channel.appendLine(`${new Date().toISOString()} [${tag}] ${text}`);
  }

  trace(message: string, ...args: unknown[]): void {
    this.log('trace', vscode.LogLevel.Trace, message, args);
  }
  debug(message: string, ...args: unknown[]): void {
    this.log('debug', vscode.LogLevel.Debug, message, args);
  }
  info(message: string, ...args: unknown[]): void {
    this.log('info', vscode.LogLevel.Info, message, args);
  }
  warn(message: string, ...args: unknown[]): void {
    this.log('warning', vscode.LogLevel.Warning, message, args);
  }
  error(message: string | Error, ...args: unknown[]): void {
    this.log('error', vscode.LogLevel.Error, message, args);
  }

  append(value: string): void {
    this.channel.append(value);
  }
  appendLine(value: string): void {
    this.channel.appendLine(value);
  }
  replace(value: string): void {
    this.channel.replace(value);
  }
  clear(): void {
    this.channel.clear();
  }
  show(columnOrPreserveFocus?: vscode.ViewColumn | boolean, preserveFocus?: boolean): void {
    if (typeof columnOrPreserveFocus === 'boolean') this.channel.show(columnOrPreserveFocus);
    else this.channel.show(columnOrPreserveFocus, preserveFocus);
  }
  hide(): void {
    this.channel.hide();
  }
  dispose(): void {
    this.watch.dispose();
    this.changed.dispose();
    this.channel.dispose();
  }
}
