import { StrictMode } from "react";
import { createRoot } from "react-dom/client";
import { BrowserRouter } from "react-router-dom";
import { App } from "./App";
import { AuthProvider } from "./auth/AuthContext";
import "./styles/tokens.css";
import "./styles/controls.css";
import "./styles/shell.css";
import "./styles/board.css";
import "./styles/templates.css";
import "./styles/responsive.css";
import "./styles/run.css";
import "./styles/panel.css";
import "./styles/log.css";
import "./styles/attempts.css";
import "./styles/code.css";
import "./styles/comments.css";
import "./styles/lightbox.css";
import "./styles/run-responsive.css";
import "./styles/waits.css";
import "./styles/reruns.css";
import "./styles/dialog.css";
import "./styles/waterfall.css";
import "./styles/changes.css";

createRoot(document.getElementById("root")!).render(
  <StrictMode>
    <BrowserRouter>
      <AuthProvider>
        <App />
      </AuthProvider>
    </BrowserRouter>
  </StrictMode>,
);
