import type { Ref } from 'react';
import type { EditorProblem } from '../lib/rule-editor.js';

interface JsonEditorProps {
  id: string;
  label: string;
  hint?: string;
  value: string;
  onChange: (value: string) => void;
  /** Shown under the text, each at its line (marked in the gutter too). */
  problems: readonly EditorProblem[];
  /** Applies a "did you mean" suggestion of a problem. */
  onFix?: (problem: EditorProblem) => void;
  textareaRef?: Ref<HTMLTextAreaElement>;
  onFocus?: () => void;
  readOnly?: boolean;
  minRows?: number;
}

/**
 * JSON in a textarea with line numbers and, below it, each problem at its line and JSON path (no
 * editor library: the textarea stays native, so keyboard, selection and screen readers just work).
 */
export function JsonEditor({
  id,
  label,
  hint,
  value,
  onChange,
  problems,
  onFix,
  textareaRef,
  onFocus,
  readOnly,
  minRows = 6,
}: JsonEditorProps) {
  const lines = value.split('\n').length;
  const marks = new Map<number, EditorProblem['kind']>();
  for (const p of problems) {
    if (p.line !== null && marks.get(p.line) !== 'error') marks.set(p.line, p.kind);
  }
  const hasError = problems.some((p) => p.kind === 'error');
  const described = [hint ? `${id}-hint` : '', `${id}-problems`].filter(Boolean).join(' ');
  return (
    <div className="field json-editor">
      <label htmlFor={id}>{label}</label>
      {hint && (
        <small id={`${id}-hint`} className="hint">
          {hint}
        </small>
      )}
      <div className="json-editor-body">
        <div className="json-gutter" aria-hidden="true">
          {Array.from({ length: Math.max(lines, minRows) }, (_, i) => {
            const kind = marks.get(i + 1);
            return (
              // biome-ignore lint/suspicious/noArrayIndexKey: a gutter line is its number
              <div key={i} className={kind ? `mark-${kind}` : undefined}>
                {i < lines ? i + 1 : ''}
              </div>
            );
          })}
        </div>
        <textarea
          id={id}
          ref={textareaRef}
          value={value}
          rows={Math.max(lines, minRows)}
          wrap="off"
          spellCheck={false}
          autoCapitalize="off"
          autoComplete="off"
          readOnly={readOnly}
          aria-invalid={hasError || undefined}
          aria-describedby={described}
          onFocus={onFocus}
          onChange={(e) => onChange(e.target.value)}
        />
      </div>
      <ul id={`${id}-problems`} className="json-problems" aria-live="polite" data-testid={`${id}-problems`}>
        {problems.map((p) => (
          <li key={`${p.kind}-${p.line}-${p.path ?? ''}-${p.message}`} className={`problem-${p.kind}`}>
            <span className="problem-where">
              {p.line === null ? '' : `Line ${p.line}`} {p.kind}
            </span>
            {': '}
            {p.message}
            {p.path && (
              <>
                {' '}
                at <code>{p.path}</code>
              </>
            )}
            {p.suggestion && (
              <>
                {' '}
                — did you mean <code>{p.suggestion}</code>?
                {onFix && p.path && p.code === 'unknown_path' && !readOnly && (
                  <>
                    {' '}
                    <button type="button" className="link" onClick={() => onFix(p)}>
                      Use {p.suggestion}
                    </button>
                  </>
                )}
              </>
            )}
          </li>
        ))}
      </ul>
    </div>
  );
}
