// An image of a comment thread shown large over the page: Escape or the close button (or a
// click on the backdrop) closes it, the arrow keys and buttons go between the thread's
// images. Focus moves into it when it opens and back to what opened it when it closes.

import { useEffect, useRef } from "react";
import { downloadArtifact, useArtifactUrl } from "../../api/artifactFiles";
import type { Artifact } from "../../api/types";
import { IconChevron, IconDownload, IconX } from "../Icons";

interface Props {
  images: Artifact[];
  index: number;
  onIndex: (i: number) => void;
  onClose: () => void;
}

export function Lightbox({ images, index, onIndex, onClose }: Props) {
  const image = images[index];
  const { url, error } = useArtifactUrl(image.id);
  const closeRef = useRef<HTMLButtonElement>(null);
  const many = images.length > 1;
  const go = (step: number) => onIndex((index + step + images.length) % images.length);

  useEffect(() => {
    const opener = document.activeElement as HTMLElement | null;
    closeRef.current?.focus();
    return () => opener?.focus?.();
  }, []);

  // One listener while open, reading the latest handlers (not one re-added each render).
  const keys = useRef({ onClose, go, many });
  keys.current = { onClose, go, many };
  useEffect(() => {
    function onKey(e: KeyboardEvent) {
      const k = keys.current;
      if (e.key === "Escape") k.onClose();
      else if (e.key === "ArrowRight" && k.many) k.go(1);
      else if (e.key === "ArrowLeft" && k.many) k.go(-1);
      else return;
      e.preventDefault();
      e.stopPropagation();
    }
    window.addEventListener("keydown", onKey, true);
    return () => window.removeEventListener("keydown", onKey, true);
  }, []);

  return (
    <div
      className="lightbox"
      data-testid="lightbox"
      role="dialog"
      aria-modal="true"
      aria-label={`${image.name}${many ? `, image ${index + 1} of ${images.length}` : ""}`}
      onClick={(e) => e.target === e.currentTarget && onClose()}
      onKeyDown={(e) => {
        // Tab stays among the lightbox's buttons.
        if (e.key !== "Tab") return;
        const buttons = Array.from(e.currentTarget.querySelectorAll<HTMLElement>("button"));
        const at = buttons.indexOf(document.activeElement as HTMLElement);
        const next = (at + (e.shiftKey ? -1 : 1) + buttons.length) % buttons.length;
        buttons[next]?.focus();
        e.preventDefault();
      }}
    >
      <div className="lightbox-bar">
        <span className="lightbox-name truncate" title={image.name}>
          {image.name}
        </span>
        {many && (
          <span className="lightbox-counter" data-testid="lightbox-counter">
            {index + 1} / {images.length}
          </span>
        )}
        <button type="button" className="lightbox-btn" onClick={() => void downloadArtifact(image.id, image.name)} aria-label={`Download ${image.name}`} title="Download">
          <IconDownload width={18} height={18} />
        </button>
        <button ref={closeRef} type="button" className="lightbox-btn" data-testid="lightbox-close" onClick={onClose} aria-label="Close (Escape)" title="Close (Escape)">
          <IconX width={18} height={18} />
        </button>
      </div>
      {many && (
        <button type="button" className="lightbox-btn lightbox-prev" data-testid="lightbox-prev" onClick={() => go(-1)} aria-label="Previous image (←)">
          <IconChevron width={22} height={22} />
        </button>
      )}
      {url ? (
        <img className="lightbox-img" data-testid="lightbox-image" data-artifact-id={image.id} src={url} alt={image.name} onClick={(e) => e.stopPropagation()} />
      ) : error ? (
        <span className="lightbox-loading" role="alert" data-testid="artifact-link-error">
          Cannot load {image.name}: {error}
        </span>
      ) : (
        <span className="lightbox-loading" aria-busy="true">
          Loading…
        </span>
      )}
      {many && (
        <button type="button" className="lightbox-btn lightbox-next" data-testid="lightbox-next" onClick={() => go(1)} aria-label="Next image (→)">
          <IconChevron width={22} height={22} />
        </button>
      )}
    </div>
  );
}
