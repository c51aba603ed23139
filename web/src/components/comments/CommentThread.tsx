import { useCallback, useState, type FormEvent } from "react";
import { errorMessage } from "../../api/client";
import { attachArtifact, createComment, detachArtifact } from "../../api/endpoints";
import { checkUploadSize, uploadArtifact } from "../../api/upload";
import type { Artifact, Comment, Step } from "../../api/types";
import { formatBytes } from "../../lib/format";
import { IconPaperclip, IconX } from "../Icons";
import { isImage } from "../artifacts/ArtifactThumb";
import { CommentItem } from "./CommentItem";
import { Lightbox } from "./Lightbox";
import { UndoToast, type Undoable } from "./UndoToast";

interface Props {
  runId: string;
  projectId: string;
  comments: Comment[];
  /** The run's steps: to name a step comment's step, and to store files. */
  steps: Step[];
  /** Set for a step's own thread; null for the run's. */
  stepId: string | null;
  /** The step's artifacts (step thread only), offered for attaching. */
  stepArtifacts?: Artifact[];
  onChanged: () => void;
  title?: string;
}

/** Where files go when the comment is on the run: artifacts belong to a step. */
function defaultUploadStep(steps: Step[]): string | null {
  const running = steps.filter((s) => s.status === "running");
  const pick = running[running.length - 1] ?? [...steps].sort((a, b) => a.step_index - b.step_index)[steps.length - 1];
  return pick?.id ?? null;
}

export function CommentThread({ runId, projectId, comments, steps, stepId, stepArtifacts = [], onChanged, title = "Comments" }: Props) {
  const [text, setText] = useState("");
  const [files, setFiles] = useState<File[]>([]);
  const [busy, setBusy] = useState(false);
  const [progress, setProgress] = useState<number | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [fileStep, setFileStep] = useState<string | null>(null);
  const uploadStep = stepId ?? fileStep ?? defaultUploadStep(steps);
  const stepsById = new Map(steps.map((s) => [s.id, s]));
  const attachable = stepArtifacts.filter((a) => !a.workflow_comment_id);
  // The thread's images in reading order: the lightbox goes between them.
  const images = comments.flatMap((c) => c.artifacts.filter(isImage));
  const [shown, setShown] = useState<string | null>(null);
  const shownAt = shown === null ? -1 : images.findIndex((a) => a.id === shown);
  const [undoable, setUndoable] = useState<Undoable | null>(null);
  const clearUndo = useCallback(() => setUndoable(null), []);

  async function detach(a: Artifact, commentId: string) {
    await detachArtifact(a.id);
    setUndoable({
      key: `${a.id}-${Date.now()}`,
      message: `Detached ${a.name} (it stays with its step).`,
      undo: async () => {
        await attachArtifact(a.id, commentId);
        onChanged();
      },
    });
  }

  function addFiles(list: FileList | null) {
    if (!list) return;
    const next = [...files];
    const problems: string[] = [];
    for (const f of Array.from(list)) {
      const p = checkUploadSize(f);
      if (p) problems.push(p);
      else next.push(f);
    }
    setFiles(next);
    setError(problems.length ? problems.join("\n") : null);
  }

  async function submit(e: FormEvent) {
    e.preventDefault();
    if (!text.trim()) return;
    setBusy(true);
    setError(null);
    try {
      const comment = await createComment(runId, text.trim(), stepId);
      const failed: string[] = [];
      for (let i = 0; i < files.length; i++) {
        const f = files[i];
        try {
          const a = await uploadArtifact(runId, uploadStep!, f, (p) => setProgress((i + p) / files.length)).promise;
          await attachArtifact(a.id, comment.id);
        } catch (err) {
          failed.push(`${f.name}: ${errorMessage(err)}`);
        }
      }
      setText("");
      setFiles([]);
      if (failed.length) setError(`The comment was posted, but not every file:\n${failed.join("\n")}`);
      onChanged();
    } catch (err) {
      setError(errorMessage(err));
    } finally {
      setBusy(false);
      setProgress(null);
    }
  }

  return (
    <section className="thread" aria-label={title}>
      <h2 className="section-title">
        {title} <span className="count">{comments.length}</span>
      </h2>
      <ul className="comment-list" data-testid="comment-list">
        {comments.map((c) => (
          <CommentItem
            key={c.id}
            comment={c}
            projectId={projectId}
            step={stepId === null && c.workflow_run_step_id ? stepsById.get(c.workflow_run_step_id) : undefined}
            uploadStepId={c.workflow_run_step_id ?? uploadStep}
            attachable={stepId !== null ? attachable : []}
            onChanged={onChanged}
            onOpenImage={setShown}
            onDetach={detach}
          />
        ))}
        {comments.length === 0 && <li className="comment-empty muted small">No comments yet.</li>}
      </ul>
      <form className="composer" onSubmit={submit}>
        <label className="sr-only" htmlFor={`comment-input-${stepId ?? "run"}`}>
          Write a comment
        </label>
        <textarea
          id={`comment-input-${stepId ?? "run"}`}
          data-testid="comment-input"
          rows={3}
          placeholder={stepId ? "Comment on this step… (Markdown)" : "Comment on this run… (Markdown)"}
          value={text}
          onChange={(e) => setText(e.target.value)}
          onKeyDown={(e) => {
            if (e.key === "Enter" && (e.metaKey || e.ctrlKey)) void submit(e);
          }}
        />
        {files.length > 0 && (
          <ul className="file-chips" aria-label="Files to attach">
            {files.map((f, i) => (
              <li key={`${f.name}-${i}`} className="file-chip">
                <IconPaperclip width={12} height={12} />
                <span className="truncate">{f.name}</span>
                <span className="muted">{formatBytes(f.size)}</span>
                <button type="button" className="icon-btn" aria-label={`Remove ${f.name}`} onClick={() => setFiles(files.filter((_, j) => j !== i))}>
                  <IconX width={12} height={12} />
                </button>
              </li>
            ))}
          </ul>
        )}
        <div className="composer-bar">
          <label className={`btn btn-sm btn-ghost file-label${uploadStep ? "" : " is-disabled"}`} title={uploadStep ? "Attach files (up to 100 MB each)" : "Files belong to a step; this run has none yet"}>
            <IconPaperclip width={14} height={14} />
            <span>Attach</span>
            <input
              data-testid="comment-file"
              type="file"
              multiple
              className="sr-only"
              disabled={!uploadStep || busy}
              onChange={(e) => {
                addFiles(e.target.files);
                e.target.value = "";
              }}
            />
          </label>
          {stepId === null && files.length > 0 && steps.length > 1 && (
            <label className="small muted">
              stored under{" "}
              <select value={uploadStep ?? ""} onChange={(e) => setFileStep(e.target.value)} aria-label="Step the files belong to">
                {steps.map((s) => (
                  <option key={s.id} value={s.id}>
                    {s.name}
                  </option>
                ))}
              </select>
            </label>
          )}
          <span className="toolbar-spacer" />
          {progress !== null && <progress max={1} value={progress} aria-label="Upload progress" />}
          <span className="hint hide-phone">⌘/Ctrl + Enter</span>
          <button type="submit" className="btn btn-primary btn-sm" data-testid="comment-submit" disabled={busy || !text.trim()}>
            {busy ? "Posting…" : "Comment"}
          </button>
        </div>
        {error && (
          <p className="form-error" role="alert">
            {error}
          </p>
        )}
      </form>
      {shownAt >= 0 && <Lightbox images={images} index={shownAt} onIndex={(i) => setShown(images[i].id)} onClose={() => setShown(null)} />}
      {undoable && <UndoToast key={undoable.key} action={undoable} onDone={clearUndo} />}
    </section>
  );
}
