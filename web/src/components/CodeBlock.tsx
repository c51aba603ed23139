import { memo, useState } from "react";
import { highlight } from "../lib/highlight";
import { IconCopy } from "./Icons";

interface Props {
  code: string;
  language?: string | null;
  testId?: string;
  className?: string;
  maxHeight?: number;
  copy?: boolean;
}

/** Highlighted code with an optional copy button. */
export const CodeBlock = memo(function CodeBlock({ code, language = null, testId, className, maxHeight, copy = true }: Props) {
  const [copied, setCopied] = useState(false);
  return (
    <div className={`codeblock${className ? ` ${className}` : ""}`}>
      {copy && code && (
        <button
          type="button"
          className="icon-btn codeblock-copy"
          aria-label={copied ? "Copied" : "Copy to clipboard"}
          title={copied ? "Copied" : "Copy"}
          onClick={() => {
            void navigator.clipboard?.writeText(code).then(() => {
              setCopied(true);
              setTimeout(() => setCopied(false), 1200);
            });
          }}
        >
          {copied ? "✓" : <IconCopy width={14} height={14} />}
        </button>
      )}
      <pre className="code" data-testid={testId} style={maxHeight ? { maxHeight } : undefined} tabIndex={0}>
        <code>{highlight(code, language)}</code>
      </pre>
    </div>
  );
});

export function CopyText({ text, label }: { text: string; label?: string }) {
  const [copied, setCopied] = useState(false);
  return (
    <button
      type="button"
      className="copy-text"
      title="Copy"
      onClick={() => {
        void navigator.clipboard?.writeText(text).then(() => {
          setCopied(true);
          setTimeout(() => setCopied(false), 1200);
        });
      }}
    >
      <code>{label ?? text}</code>
      <span aria-hidden="true">{copied ? "✓" : <IconCopy width={12} height={12} />}</span>
      <span className="sr-only">{copied ? "Copied" : "Copy"}</span>
    </button>
  );
}
