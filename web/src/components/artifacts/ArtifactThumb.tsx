import { downloadArtifact, useArtifactUrl } from "../../api/artifactFiles";
import type { Artifact } from "../../api/types";
import { formatBytes } from "../../lib/format";
import { IconDownload, IconFile } from "../Icons";

export function isImage(a: Artifact): boolean {
  return a.mime_type.startsWith("image/") || a.file_type === "image";
}

export function isVideo(a: Artifact): boolean {
  return a.mime_type.startsWith("video/") || a.file_type === "video";
}

function ThumbImage({ artifact }: { artifact: Artifact }) {
  const { url, error } = useArtifactUrl(artifact.id);
  if (error) return <span className="thumb-img" role="img" aria-label={`Cannot load ${artifact.name}: ${error}`} title={error} data-testid="artifact-link-error">!</span>;
  if (!url) return <span className="thumb-img" aria-busy="true" />;
  return (
    <a href={url} target="_blank" rel="noreferrer" className="thumb-img" aria-label={`Open ${artifact.name}`}>
      <img data-testid="artifact-preview" src={url} alt={artifact.name} />
    </a>
  );
}

/** A compact artifact: image thumbnail or file icon, name, size, download. */
export function ArtifactThumb({ artifact, onDetach, detaching }: { artifact: Artifact; onDetach?: () => void; detaching?: boolean }) {
  return (
    <div className="artifact-thumb" data-testid="comment-artifact" data-artifact-id={artifact.id}>
      {isImage(artifact) ? (
        <ThumbImage artifact={artifact} />
      ) : (
        <span className="thumb-icon" aria-hidden="true">
          <IconFile />
        </span>
      )}
      <span className="thumb-body">
        <span className="thumb-name truncate" title={artifact.name}>
          {artifact.name}
        </span>
        <span className="muted small">{formatBytes(artifact.size_bytes)}</span>
      </span>
      <ArtifactActions artifact={artifact} onDetach={onDetach} detaching={detaching} />
    </div>
  );
}

/** An attachment's download button, and its Detach button where detaching is offered. */
export function ArtifactActions({ artifact, onDetach, detaching }: { artifact: Artifact; onDetach?: () => void; detaching?: boolean }) {
  return (
    <>
      <button
        type="button"
        className="icon-btn"
        onClick={() => void downloadArtifact(artifact.id, artifact.name)}
        aria-label={`Download ${artifact.name}`}
        title="Download"
      >
        <IconDownload width={14} height={14} />
      </button>
      {onDetach && (
        <button
          type="button"
          className="btn btn-xs btn-ghost"
          data-testid="comment-detach"
          onClick={onDetach}
          disabled={detaching}
          aria-label={`Detach ${artifact.name} from this comment`}
        >
          {detaching ? "Detaching…" : "Detach"}
        </button>
      )}
    </>
  );
}
