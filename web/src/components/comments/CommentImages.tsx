// A comment's images, shown at a size the thread can read (as wide as the thread, at most
// 320 px high), each opening the lightbox; name, download and detach under each.

import { useArtifactUrl } from "../../api/artifactFiles";
import type { Artifact } from "../../api/types";
import { formatBytes } from "../../lib/format";
import { ArtifactActions } from "../artifacts/ArtifactThumb";

interface Props {
  images: Artifact[];
  onOpen: (artifactId: string) => void;
  /** Detaches one (undoable: the thread offers Undo); absent where detaching makes no sense. */
  onDetach?: (a: Artifact) => void;
  detaching: string | null;
}

function CommentImage({ image, onOpen }: { image: Artifact; onOpen: () => void }) {
  const { url, error } = useArtifactUrl(image.id);
  return (
    <button type="button" className="comment-image-open" onClick={onOpen} aria-label={`Open ${image.name} larger`} data-testid="comment-image">
      {url ? (
        <img data-testid="artifact-preview" src={url} alt={image.name} loading="lazy" />
      ) : error ? (
        <span className="comment-image-wait comment-image-error small" role="alert" data-testid="artifact-link-error" title={error}>
          Cannot load {image.name}
        </span>
      ) : (
        <span className="comment-image-wait" aria-busy="true" />
      )}
    </button>
  );
}

export function CommentImages({ images, onOpen, onDetach, detaching }: Props) {
  return (
    <div className={`comment-images${images.length > 1 ? " is-many" : ""}`}>
      {images.map((a) => (
        <figure key={a.id} className="comment-image" data-testid="comment-artifact" data-artifact-id={a.id}>
          <CommentImage image={a} onOpen={() => onOpen(a.id)} />
          <figcaption className="comment-image-caption">
            <span className="truncate" title={a.name}>
              {a.name}
            </span>
            <span className="muted small">{formatBytes(a.size_bytes)}</span>
            <span className="toolbar-spacer" />
            <ArtifactActions artifact={a} onDetach={onDetach && (() => onDetach(a))} detaching={detaching === a.id} />
          </figcaption>
        </figure>
      ))}
    </div>
  );
}
