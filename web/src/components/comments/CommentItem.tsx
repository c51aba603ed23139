import { useRef, useState } from "react";
import { Link } from "react-router-dom";
import { errorMessage } from "../../api/client";
import { attachArtifact } from "../../api/endpoints";
import { uploadArtifact } from "../../api/upload";
import type { Artifact, Comment, Step } from "../../api/types";
import { formatDateTime, formatRelative } from "../../lib/format";
import { Markdown } from "../../lib/markdown";
import { ArtifactThumb, isImage } from "../artifacts/ArtifactThumb";
import { IconPaperclip } from "../Icons";
import { CommentImages } from "./CommentImages";

interface Props {
  comment: Comment;
  projectId: string;
  /** The step a run-level view names for a step comment. */
  step?: Step;
  /** Where a file attached to this comment is stored (artifacts belong to a step). */
  uploadStepId: string | null;
  /** The step's artifacts not attached to any comment, offered for attaching. */
  attachable: Artifact[];
  onChanged: () => void;
  /** Opens the thread's lightbox on this image. */
  onOpenImage: (artifactId: string) => void;
  /** Detaches an attachment (the thread offers Undo). */
  onDetach: (a: Artifact, commentId: string) => Promise<void>;
}

const AUTHOR: Record<string, string> = { system: "Workflow", agent: "Agent", user: "User" };

export function CommentItem({ comment, projectId, step, uploadStepId, attachable, onChanged, onOpenImage, onDetach }: Props) {
  const [busy, setBusy] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [progress, setProgress] = useState<number | null>(null);
  const fileRef = useRef<HTMLInputElement>(null);
  const images = comment.artifacts.filter(isImage);
  const files = comment.artifacts.filter((a) => !isImage(a));
  // Adding files after posting helps on a person's own notes; on the workflow's and agents'
  // comments it only clutters every line (the composer attaches to a new comment instead).
  const canAttach = comment.comment_type === "user";
  const author = comment.creator ? comment.creator.name || comment.creator.email : AUTHOR[comment.comment_type];

  async function run(label: string, f: () => Promise<unknown>) {
    setBusy(label);
    setError(null);
    try {
      await f();
      onChanged();
    } catch (e) {
      setError(errorMessage(e));
    } finally {
      setBusy(null);
      setProgress(null);
    }
  }

  return (
    <li className={`comment comment-${comment.comment_type}`} data-testid="comment" data-comment-type={comment.comment_type} data-comment-id={comment.id}>
      <div className={`avatar avatar-${comment.comment_type}`} aria-hidden="true">
        {(author ?? "?").slice(0, 1).toUpperCase()}
      </div>
      <div className="comment-body">
        <div className="comment-head">
          <span className="comment-author" data-testid="comment-author">
            {author}
          </span>
          <span className={`chip chip-${comment.comment_type}`}>{comment.comment_type}</span>
          {step && (
            <Link className="small" to={`/p/${projectId}/runs/${comment.workflow_run_id}/steps/${step.id}`}>
              on {step.name}
            </Link>
          )}
          <time className="muted small" dateTime={comment.created_at} title={formatDateTime(comment.created_at)}>
            {formatRelative(comment.created_at)}
          </time>
        </div>
        <div className="comment-text" data-testid="comment-text">
          <Markdown source={comment.text} />
        </div>
        {images.length > 0 && (
          <CommentImages images={images} onOpen={onOpenImage} detaching={busy} onDetach={(a) => void run(a.id, () => onDetach(a, comment.id))} />
        )}
        {files.length > 0 && (
          <div className="comment-artifacts">
            {files.map((a) => (
              <ArtifactThumb key={a.id} artifact={a} detaching={busy === a.id} onDetach={() => run(a.id, () => onDetach(a, comment.id))} />
            ))}
          </div>
        )}
        <div className="comment-tools">
          {canAttach && uploadStepId && (
            <>
              <button type="button" className="link-btn small" onClick={() => fileRef.current?.click()} disabled={busy !== null}>
                <IconPaperclip width={12} height={12} /> Attach a file
              </button>
              <input
                ref={fileRef}
                type="file"
                hidden
                aria-label="Attach a file to this comment"
                onChange={(e) => {
                  const file = e.target.files?.[0];
                  e.target.value = "";
                  if (!file) return;
                  void run("upload", async () => {
                    const a = await uploadArtifact(comment.workflow_run_id, uploadStepId, file, setProgress).promise;
                    await attachArtifact(a.id, comment.id);
                  });
                }}
              />
            </>
          )}
          {canAttach && attachable.length > 0 && (
            <label className="small attach-existing">
              <span className="sr-only">Attach an artifact of this step</span>
              <select
                value=""
                disabled={busy !== null}
                onChange={(e) => {
                  const id = e.target.value;
                  if (id) void run(id, () => attachArtifact(id, comment.id));
                }}
              >
                <option value="">Attach existing…</option>
                {attachable.map((a) => (
                  <option key={a.id} value={a.id}>
                    {a.name}
                  </option>
                ))}
              </select>
            </label>
          )}
          {progress !== null && <progress max={1} value={progress} aria-label="Upload progress" />}
        </div>
        {error && (
          <p className="field-error" role="alert">
            {error}
          </p>
        )}
      </div>
    </li>
  );
}
