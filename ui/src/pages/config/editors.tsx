// CodeMirror 6 for the config page: the TOML editor with the API's render
// errors as lint diagnostics, a read-only YAML view of the rendered objects
// and a side-by-side diff (MergeView).
import { useEffect, useRef } from "react";
import { basicSetup, EditorView } from "codemirror";
import { Compartment, EditorState, type Extension, type Text } from "@codemirror/state";
import { StreamLanguage } from "@codemirror/language";
import { toml } from "@codemirror/legacy-modes/mode/toml";
import { yaml } from "@codemirror/lang-yaml";
import { lintGutter, setDiagnostics, type Diagnostic } from "@codemirror/lint";
import { MergeView } from "@codemirror/merge";

/** A render error as the API reports it (file:line:col, key path, message). */
export interface RenderError {
  file: string;
  line: number;
  column: number;
  path?: string;
  message: string;
}

/** errorLabel words a render error as file:line:col: path: message. */
export function errorLabel(e: RenderError): string {
  const at = e.line ? `${e.file}:${e.line}:${e.column || 1}` : e.file;
  return `${at}: ${e.path ? e.path + ": " : ""}${e.message}`;
}

/**
 * diagnosticsFor turns the API's render errors into CodeMirror diagnostics:
 * each starts at its line:col (1-based) and runs to the end of that line.
 * An error without a line marks the first line.
 */
export function diagnosticsFor(doc: Text, errors: (RenderError | null | undefined)[]): Diagnostic[] {
  const out: Diagnostic[] = [];
  for (const e of errors) {
    if (!e) continue;
    const n = Math.min(Math.max(e.line || 1, 1), doc.lines);
    const line = doc.line(n);
    const from = line.from + Math.min(Math.max((e.column || 1) - 1, 0), line.length);
    out.push({ from, to: Math.max(from, line.to), severity: "error", message: (e.path ? e.path + ": " : "") + e.message, source: `${e.file}:${e.line}:${e.column}` });
  }
  return out;
}

const theme = EditorView.theme({
  "&": { fontSize: "12.5px", height: "100%" },
  ".cm-scroller": { fontFamily: "var(--mono)", overflow: "auto" },
  "&.cm-focused": { outline: "2px solid var(--brand)", outlineOffset: "-2px" },
});

/** TomlEditor edits the manifest; errors are shown inline and in the gutter. */
export function TomlEditor({ value, onChange, errors, label, readOnly, onView }: { value: string; onChange: (text: string) => void; errors: (RenderError | null)[]; label: string; readOnly?: boolean; onView?: (v: EditorView | null) => void }) {
  const host = useRef<HTMLDivElement>(null);
  const view = useRef<EditorView | null>(null);
  const ro = useRef(new Compartment());
  const changed = useRef(onChange);
  changed.current = onChange;
  useEffect(() => {
    const v = new EditorView({
      parent: host.current!,
      state: EditorState.create({
        doc: value,
        extensions: [
          basicSetup,
          StreamLanguage.define(toml),
          lintGutter(),
          theme,
          EditorView.contentAttributes.of({ "aria-label": label, tabindex: "0" }),
          ro.current.of(readOnlyExt(!!readOnly)),
          EditorView.updateListener.of((u) => {
            if (u.docChanged) changed.current(u.state.doc.toString());
          }),
        ],
      }),
    });
    view.current = v;
    onView?.(v);
    return () => {
      onView?.(null);
      v.destroy();
      view.current = null;
    };
    // The view is made once; value, errors and readOnly are applied below.
  }, []);
  useEffect(() => {
    const v = view.current;
    if (v && v.state.doc.toString() !== value) v.dispatch({ changes: { from: 0, to: v.state.doc.length, insert: value } });
  }, [value]);
  useEffect(() => {
    const v = view.current;
    if (v) v.dispatch(setDiagnostics(v.state, diagnosticsFor(v.state.doc, errors)));
  }, [errors]);
  useEffect(() => {
    view.current?.dispatch({ effects: ro.current.reconfigure(readOnlyExt(!!readOnly)) });
  }, [readOnly]);
  return <div ref={host} className="cm-host cm-host-editor" />;
}

function readOnlyExt(on: boolean): Extension {
  return [EditorState.readOnly.of(on), EditorView.editable.of(!on)];
}

const viewerExtensions = (label: string): Extension => [basicSetup, yaml(), theme, EditorState.readOnly.of(true), EditorView.contentAttributes.of({ "aria-label": label, tabindex: "0" })];

/** YamlView shows rendered objects read-only. */
export function YamlView({ value, label }: { value: string; label: string }) {
  const host = useRef<HTMLDivElement>(null);
  const view = useRef<EditorView | null>(null);
  useEffect(() => {
    const v = new EditorView({ parent: host.current!, state: EditorState.create({ doc: value, extensions: viewerExtensions(label) }) });
    view.current = v;
    return () => v.destroy();
  }, [label]);
  useEffect(() => {
    const v = view.current;
    if (v && v.state.doc.toString() !== value) v.dispatch({ changes: { from: 0, to: v.state.doc.length, insert: value } });
  }, [value]);
  return <div ref={host} className="cm-host cm-host-view" />;
}

/** DiffView shows a (left) and b (right) side by side, changes highlighted. */
export function DiffView({ a, b, labelA, labelB, language }: { a: string; b: string; labelA: string; labelB: string; language: "toml" | "yaml" }) {
  const host = useRef<HTMLDivElement>(null);
  useEffect(() => {
    const lang = language === "toml" ? StreamLanguage.define(toml) : yaml();
    const ext = (label: string): Extension => [basicSetup, lang, theme, EditorState.readOnly.of(true), EditorView.editable.of(false), EditorView.contentAttributes.of({ "aria-label": label, tabindex: "0" })];
    const mv = new MergeView({ parent: host.current!, a: { doc: a, extensions: ext(labelA) }, b: { doc: b, extensions: ext(labelB) }, collapseUnchanged: { margin: 3, minSize: 8 }, gutter: true });
    return () => mv.destroy();
  }, [a, b, labelA, labelB, language]);
  return <div ref={host} className="cm-host cm-host-diff" />;
}
