// A step's input, output (JSON, long values wrapped) or summary (Markdown, ANSI colours
// rendered) as a tab of the step panel.

import { useStepLogFile } from "../../hooks/useStep";
import { prettyJson } from "../../lib/format";
import { Markdown } from "../../lib/markdown";
import { CodeBlock } from "../CodeBlock";
import { ErrorState, Loading } from "../States";

interface Props {
  stepRowId: string;
  type: "input" | "output" | "summary";
  /** Changes when the step does, to read the file again. */
  version: string;
  running: boolean;
  /** The test ids' prefix (`step-output`); another view of a step on the page uses its own. */
  testIdPrefix?: string;
  maxHeight?: number;
}

export function LogFileTab({ stepRowId, type, version, running, testIdPrefix = "step", maxHeight = 520 }: Props) {
  const file = useStepLogFile(stepRowId, type, version);
  if (file.error) return <ErrorState error={file.error} onRetry={() => file.reload()} />;
  if (!file.data) return <Loading inline />;
  const content = file.data.content;
  if (!content.trim()) {
    return (
      <p className="muted small empty-line" data-testid={`${testIdPrefix}-${type}`}>
        {running && type !== "input" ? `The ${type} is written when the step ends.` : `No ${type} was written for this step.`}
      </p>
    );
  }
  if (type === "summary") {
    return (
      <div className="summary" data-testid={`${testIdPrefix}-summary`}>
        <Markdown source={content} />
      </div>
    );
  }
  // Long values wrap: a 2,000-character string reads without scrolling sideways.
  return <CodeBlock code={prettyJson(content)} language="json" testId={`${testIdPrefix}-${type}`} maxHeight={maxHeight} className="codeblock-wrap" />;
}
