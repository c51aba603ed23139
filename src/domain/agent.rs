//! The agent CLIs a step can run, the permission mode it asks them for, what it does when
//! interrupted, and how an agent session (`agent_sessions.status`) ended.

wire_enum! {
    /// Which CLI (`agent_sessions.agent`, a step's `agent`).
    pub enum AgentKind {
        Claude = "claude",
        Codex = "codex",
        Gemini = "gemini",
    }
}

wire_enum! {
    /// The step's `permission`, mapped per CLI by each driver.
    #[derive(Default)]
    pub enum Permission {
        #[default]
        Default = "default",
        Plan = "plan",
        AcceptEdits = "acceptEdits",
        BypassPermissions = "bypassPermissions",
    }
}

wire_enum! {
    /// What an agent step interrupted by a crash does on resume (`onInterrupt`).
    #[derive(Default)]
    pub enum OnInterrupt {
        /// Run it again from the prompt.
        #[default]
        Restart = "restart",
        /// Continue the agent's session.
        Resume = "resume",
    }
}

wire_enum! {
    /// How an agent CLI's session stands (`agent_sessions.status`).
    pub enum SessionStatus {
        Running = "running",
        Completed = "completed",
        Failed = "failed",
    }
}
