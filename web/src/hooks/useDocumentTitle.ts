// Sets the page's part of the tab title while the page is shown (see lib/title.ts).

import { useEffect } from "react";
import { setPageTitle } from "../lib/title";

export function useDocumentTitle(title: string): void {
  useEffect(() => {
    setPageTitle(title);
  }, [title]);
  useEffect(() => () => setPageTitle(""), []);
}
