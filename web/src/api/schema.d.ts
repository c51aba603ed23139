// Generated from the server's OpenAPI document by openapi-typescript: do not edit.
// Regenerate with `npm --prefix web run gen:api` after changing a handler or a response type
// (`npm --prefix web test` fails while this file is out of date).

export interface paths {
    "/api/auth/login": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Sign in
         * @description Trades an email (any case) and password for a JWT, valid for 7 days. Needs no token. After 5 failed attempts for an account, or 20 from one address, each further failure doubles the wait before the next attempt (1 s, 2 s, 4 s, ... up to 15 min); a success clears the account's count.
         */
        post: operations["login"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/auth/logout": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Sign out
         * @description Revokes the token the request is sent with: from now on it gets 401 on every route, the WebSocket included. The user's other tokens stay valid (`workflow-engine token revoke --email` revokes them all).
         */
        post: operations["logout"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/projects": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * List the projects the caller may see
         * @description The projects the caller owns or is a member of; an admin sees all.
         */
        get: operations["list_projects"];
        put?: never;
        /**
         * Add a project
         * @description The directory must exist on the server, must not be `/`, a system directory (`/etc`, `/usr`, `/var`, ...) or the server's data directory, and must be under one of the server's project roots when it has some (`serve --project-root`); symlinks are followed first. The workflow files in its `.agent/workflows/definitions/` are read at once and whenever they change. A directory first seen by the CLI (no owner yet) is taken over by the first user who adds it.
         */
        post: operations["create_project"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/projects/{id}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Read a project */
        get: operations["get_project"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        /**
         * Change a project's required node labels
         * @description On PostgreSQL a node takes the project's runs only if it has the project's folder and every label in `node_labels` (`serve --node-labels`); a run no live node may take stays `pending` and says why (`placement`). A single-process engine (SQLite) drives every run and does not look at labels.
         */
        patch: operations["update_project"];
        trace?: never;
    };
    "/api/workflow-definitions": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * List workflow definitions
         * @description The templates of one project, or of every project the caller may see, by name: the files in its `.agent/workflows/definitions/`. Files that do not load are listed too, with `load_error`. A file run from elsewhere (CLI `run`) is its runs' definition, readable by id, but not a template.
         */
        get: operations["list_definitions"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/workflow-definitions/{id}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * Read a workflow definition
         * @description With its steps when they are known before a run (YAML that loads).
         */
        get: operations["get_definition"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/workflow-definitions/{id}/run-name": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Preview a run's name
         * @description The name a run of `args` gets when none is given: the definition's `runName` template rendered (an argument not given is empty text), its TypeScript `runName` function called, or the workflow's name.
         */
        post: operations["preview_run_name"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/workflow-executions": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * List runs
         * @description The runs of the projects the caller may see, newest first, a page at a time; with `column`, one board column's (the queue in the order it starts).
         */
        get: operations["list_runs"];
        put?: never;
        /**
         * Start a run
         * @description Creates the run and starts it in the background (queued under the concurrency limit).
         */
        post: operations["create_run"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/board": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * The board
         * @description A project's board under the filters: with `workflow_definition_id` the columns `__pending` (never started, in the order they will start), each phase (a failed, paused or waiting run stays in its phase) and `__done` (completed and cancelled); without, one column per status. Each column has its exact count and its first `limit` runs.
         */
        get: operations["get_board"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/workflow-executions/{id}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * Read a run
         * @description With its steps (and their agent sessions), its definition, the definition as the run started it (`definition_snapshot`), whether a pause is pending (`pause_requested`) and its comments.
         */
        get: operations["get_run"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/workflow-executions/{id}/pause": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Pause a run
         * @description Without a body (or with `{}`), the steps in flight finish, then the run stops; answers within about 2 seconds, with `pause_requested` if a step is still running then. With `{ "now": true }`, no new step starts and the steps in flight are stopped (script steps' processes terminated, agent CLIs interrupted first so that they save their session, a TypeScript run's function steps stopped with its worker); each is recorded as interrupted (status `failed`, error `interrupted by pause now`) and runs again on resume, an agent step with `onInterrupt: resume` continuing its session. A pause-now overtakes a pending pause; a cancel overtakes either. Answers within about 10 seconds.
         */
        post: operations["pause_run"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/workflow-executions/{id}/resume": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Resume a run
         * @description Queues a paused or failed run to be replayed; completed steps are not run again. The answer carries the run's status now: `running` once it has started (within about 2 seconds when a run slot is free), else `pending` until a slot takes it. A TypeScript run whose files changed since it started is refused (409 `source_changed`, the files in `details`) unless the body says `use_current`; a YAML run replays the definition it started with (said in `notes`). `rerun_step` forgets that step and the ones after it.
         */
        post: operations["resume_run"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/workflow-executions/{id}/cancel": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Cancel a run
         * @description Kills the steps in flight at once, also while a pause (of either kind) is pending; a pending or paused run is cancelled directly.
         */
        post: operations["cancel_run"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/workflow-executions/{id}/budget": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Set or raise a run's budget
         * @description Sets the limits given (the others are kept). A run a limit stopped (`status` `waiting` with `budget_stop`) continues: the step that was stopped runs again and its agent resumes its session. A run stopped by a step's own `maxCostUsd`/`maxTokens` continues with an empty body `{}`: the step gets the same allowance again.
         */
        post: operations["raise_budget"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/workflow-executions/{id}/rerun": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Run again, or rerun from a step
         * @description Starts a new run of the run's workflow (its file as it is now), with the run's arguments or `args`. With `from_step_id`, the new run reuses the results of every step the run recorded before that one and runs it and everything after it for real. The new run has `parent_run_id` (and `forked_from_step`); the original lists it in `reruns`. When the workflow changed since the original ran, the new run's `warnings` say so.
         */
        post: operations["rerun_run"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/workflow-steps/{id}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * Read a step
         * @description With its agent session, its artifacts and its comments.
         */
        get: operations["get_step"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/workflow-steps/{id}/logs/{type}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * Read a step's log
         * @description `input`, `output`, `events` (what a running step has written so far, whole lines only) or `summary`; a log not written yet is empty. `size` is the bytes of the file read: live progress events of the same try with `log.log_end` <= `size` are already in `content`.
         */
        get: operations["get_step_log"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/workflow-steps/{id}/diff": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * Read what a step changed
         * @description The unified diff of the step's snapshot against the run's snapshot before it (or the worktree's base commit), with the files it touches; cut at `max_bytes` (`truncated`, `total_bytes`).
         */
        get: operations["step_diff"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/workflow-executions/{id}/diff": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * Read what a run changed
         * @description The unified diff from the worktree's base commit (`since=base`) or from the snapshot current when the run's last gate was decided (`since=last_gate`; the base when none was) to the run's newest snapshot, with the files it touches; cut at `max_bytes`.
         */
        get: operations["run_diff"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/workflow-executions/{id}/artifacts": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Upload an artifact to a step
         * @description A `multipart/form-data` upload, streamed to disk; the file may have at most 100 MB.
         */
        post: operations["upload_artifact"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/artifacts/{id}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * Download an artifact
         * @description The file, streamed, with the artifact's `mime_type` as `Content-Type`.
         */
        get: operations["download_artifact"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/artifacts/{id}/attach": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        /**
         * Attach an artifact to a comment
         * @description To a comment of the same run; an attached artifact moves to the new comment.
         */
        patch: operations["attach_artifact"];
        trace?: never;
    };
    "/api/artifacts/{id}/detach": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        post?: never;
        /**
         * Detach an artifact from its comment
         * @description The artifact stays with its step.
         */
        delete: operations["detach_artifact"];
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/artifacts/{id}/link": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * A signed link to an artifact
         * @description A URL that fetches the artifact's file without a token until it expires (10 minutes unless `ttl` says otherwise), for `<img>`, `<video>` and downloads.
         */
        get: operations["artifact_link"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/artifacts/{id}/content": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * An artifact's file through a signed link
         * @description No token: the link's signature is the permission. Images, audio and video are served `inline`, anything else (and everything with `download=1`) as an attachment.
         */
        get: operations["artifact_content"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/workflow-executions/{id}/comments": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * List a run's comments
         * @description Oldest first, each with its creator and attached artifacts.
         */
        get: operations["list_comments"];
        put?: never;
        /** Comment on a run or one of its steps */
        post: operations["create_comment"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/projects/{id}/secrets": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** List a project's secrets (names and dates, never values) */
        get: operations["list_secrets"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/projects/{id}/secrets/{name}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        /**
         * Set a secret
         * @description Creates or replaces the secret; the value is stored encrypted and is never returned. Steps refer to it as `{{ secrets.NAME }}` (YAML) or `ctx.secrets.NAME` (TypeScript).
         */
        put: operations["set_secret"];
        post?: never;
        /** Remove a secret */
        delete: operations["delete_secret"];
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/workflow-executions/{id}/approvals/{step}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Decide an approval gate or a step whose tries ran out
         * @description Approves, rejects or requests changes at the gate `step` (its id in the workflow, e.g. `approve-plan`, or its row id). Exactly one decision is recorded; the run then goes on (a rejection fails it unless the gate has `continueOnError`). The comment becomes a comment on the gate. At a step waiting because its retries ran out (`retry.onExhausted: "wait"`): `retry` runs it again with fresh tries, `skip` completes it with `value` as its data, `fail` fails it.
         */
        post: operations["decide"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/workflow-executions/{id}/signals/{name}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Send a signal to a run
         * @description Hands the payload to the run's step waiting for the signal `name` (`ctx.waitForSignal`), or keeps it for the first that will. An `idempotency_key` sent again records nothing new.
         */
        post: operations["send_signal"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/approvals": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * Gates waiting for a decision
         * @description The approval gates waiting now in every project the caller may see, oldest first (at most 500), each saying whether the caller may decide it; then the runs a limit of their budget stopped (`budget_stop`), which anyone who may see them may continue or cancel.
         */
        get: operations["list_approvals"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/nodes": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * List the engine nodes (admin)
         * @description Every `serve` process on this database, newest first, with its address, labels, heartbeat and the runs it drives. A node that stopped cleanly removes its row; one that died stays, `alive: false`, for a day.
         */
        get: operations["list_nodes"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/ws": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * The live event stream (WebSocket)
         * @description Upgrades to a WebSocket that sends one JSON text message per event of the projects the caller may see, as the `WsMessage` schema describes: `{ "seq", "type", "data" }`, `type` being `workflow.execution.created`, `workflow.execution.status_changed`, `workflow.execution.phase_changed`, `workflow.execution.log`, `workflow.step.started`, `workflow.step.progress`, `workflow.step.completed`, `workflow.comment.created`, `workflow.artifact.created` or `workflow.artifact.attached` (see the `Event` schema for each one's `data`). With `?since=<seq>` the journal's later events are replayed first, so a client that reconnects with the last `seq` it saw misses nothing. A client that falls behind gets `{ "type": "stream.lagged", "data": { "missed": n } }` and should reconnect with `since`. Messages from the client are ignored. The token may be sent as `?token=` by clients that cannot set headers (this route only). An expired or revoked token is refused (401), and an open stream whose token expires or is revoked is closed (1008, with the reason) within 5 s.
         */
        get: operations["subscribe_events"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/openapi.json": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * This OpenAPI 3.1 document
         * @description Needs no token.
         */
        get: operations["get_openapi"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
}
export type webhooks = Record<string, never>;
export interface components {
    schemas: {
        /**
         * @description Which CLI (`agent_sessions.agent`, a step's `agent`).
         * @enum {string}
         */
        AgentKind: "claude" | "codex" | "gemini";
        /** @description The agent CLI session behind an agent step. */
        AgentSession: {
            id: string;
            agent: components["schemas"]["AgentKind"];
            /** @description The CLI's own session (thread) id. */
            session_id?: string | null;
            model?: string | null;
            /** @description The CLI's own transcript of the session (JSONL), where the CLI keeps it. */
            session_file_path?: string | null;
            /** Format: double */
            cost_usd?: number | null;
            /** Format: int64 */
            input_tokens?: number | null;
            /** Format: int64 */
            output_tokens?: number | null;
            /** Format: date-time */
            created_at: string;
            /** Format: date-time */
            updated_at: string;
            status: components["schemas"]["SessionStatus"];
            /** @description Whether the CLI persisted the session, so that `--resume` can continue it. */
            resumable: boolean;
            /** Format: int64 */
            cached_tokens?: number | null;
            /** Format: int64 */
            num_turns?: number | null;
            /**
             * @description How a failed session failed: `auth`, `rate_limit`, `overloaded`, `max_turns`,
             *     `timed_out`, `cancelled`, `crashed` or `error`.
             */
            error_kind?: string | null;
        };
        /** @description A file uploaded to a step, optionally attached to a comment of the same run. */
        Artifact: {
            id: string;
            workflow_run_step_id: string;
            workflow_comment_id?: string | null;
            name: string;
            /** @description Relative to the project root. */
            file_path: string;
            file_type: components["schemas"]["FileType"];
            mime_type: string;
            /** Format: int64 */
            size_bytes: number;
            /** Format: date-time */
            created_at: string;
            /** Format: date-time */
            updated_at: string;
        };
        /** @description A signed link to an artifact's file. */
        ArtifactLink: {
            /**
             * @description Relative to the server: `/api/artifacts/{id}/content?exp=...&sig=...`. Add `&download=1`
             *     to have it saved rather than shown.
             */
            url: string;
            /** Format: date-time */
            expires_at: string;
        };
        /** @description The `multipart/form-data` fields of an upload, in any order. */
        ArtifactUpload: {
            /**
             * Format: binary
             * @description The file, at most 100 MB.
             */
            file: string;
            /** @description The row id of the run's step it belongs to. */
            step_id: string;
            /**
             * @description The name to keep it under (sanitised; ` (1)`, ` (2)`, ... when taken); defaults to the
             *     uploaded file's name.
             */
            name?: string;
            /** @description Defaults to what the name and the content say. */
            file_type?: components["schemas"]["FileType"];
        };
        AttachBody: {
            /** @description A comment of the artifact's run. */
            comment_id: string;
        };
        /**
         * @description How one try of a step went (`workflow_step_attempts.outcome`).
         * @enum {string}
         */
        AttemptOutcome: "running" | "completed" | "failed" | "interrupted";
        /** @description The board under the filters in force. */
        Board: {
            columns: components["schemas"]["BoardColumn"][];
            /**
             * Format: int64
             * @description Runs on the board.
             */
            total: number;
            /**
             * Format: int64
             * @description Of those, `running` ones.
             */
            running: number;
            /**
             * Format: int64
             * @description Of those, `waiting` ones (for a person, a timer or a signal).
             */
            waiting: number;
            /**
             * Format: int64
             * @description Of those, `pending` ones (queued).
             */
            pending: number;
        };
        /** @description A board column. */
        BoardColumn: {
            /** @description `__pending`, a phase or `__done` on a workflow's board; a status on the all-workflows one. */
            key: string;
            title: string;
            /**
             * Format: int64
             * @description How many runs the column holds under the filters (exact).
             */
            count: number;
            /** @description Its first page: newest first; `__pending` (and `pending`) in the order they will start. */
            runs: components["schemas"]["RunSummary"][];
            /** @description Pass as `cursor` with `column` to `GET /api/workflow-executions` for more; null when all are here. */
            next_cursor?: string | null;
        };
        /** @description A run's limits; a limit left out is no limit. */
        Budget: {
            /**
             * Format: double
             * @description Most US dollars the run's agents may spend, as their CLIs report it.
             */
            usd?: number | null;
            /**
             * Format: int64
             * @description Most tokens (input + output, cache reads not counted) the run's agents may use.
             */
            tokens?: number | null;
            /**
             * Format: int64
             * @description Most wall-clock time since the run first started, in milliseconds.
             */
            duration_ms?: number | null;
        };
        /**
         * @description A run's limit (`budget: { usd, tokens, duration }`) or an agent step's own
         *     (`maxCostUsd`, `maxTokens`).
         * @enum {string}
         */
        BudgetLimit: "usd" | "tokens" | "duration" | "step_usd" | "step_tokens";
        /** @description Why a limit stopped a run: the run waits for a person to raise its budget or cancel it. */
        BudgetStop: {
            limit: components["schemas"]["BudgetLimit"];
            /**
             * Format: double
             * @description What was spent of that limit (dollars, tokens or milliseconds).
             */
            spent: number;
            /**
             * Format: double
             * @description The limit.
             */
            allowed: number;
            /** @description The agent step it stopped (the id the workflow gave it), if one ran or was to start. */
            step_key?: string | null;
            /** @description In words: `tokens: 1296 spent of 1000 (the step's maxTokens)`. */
            message: string;
            /** Format: date-time */
            since: string;
        };
        CancelResult: {
            id: string;
            status: components["schemas"]["RunStatus"];
            /** Format: date-time */
            cancelled_at?: string | null;
        };
        /** @description A note on a run, or on one of its steps. */
        Comment: {
            id: string;
            workflow_run_id: string;
            /** @description The step's row id, for a step-level comment. */
            workflow_run_step_id?: string | null;
            text: string;
            comment_type: components["schemas"]["CommentType"];
            created_by?: string | null;
            /** Format: date-time */
            created_at: string;
            /** Format: date-time */
            updated_at: string;
            creator?: components["schemas"]["Creator"] | null;
            /** @description The artifacts attached to it. */
            artifacts: components["schemas"]["Artifact"][];
        };
        /**
         * @description Who wrote a comment: a user (the API), the engine, or an agent step.
         * @enum {string}
         */
        CommentType: "user" | "system" | "agent";
        /** @description A run's concurrency key and limit. */
        ConcurrencyInfo: {
            /** @description Rendered from the run's arguments when it was created (`repo:acme/api`). */
            key: string;
            /** Format: int64 */
            limit: number;
        };
        Counts: {
            /** Format: int64 */
            comments: number;
            /** Format: int64 */
            artifacts: number;
        };
        CreateComment: {
            /** @description Must not be empty. */
            text: string;
            /** @description The step's row id, for a step-level comment. */
            step_id?: string | null;
            comment_type?: components["schemas"]["PostedCommentType"] | null;
        };
        CreateProject: {
            name: string;
            /** @description An absolute path to an existing directory. */
            path: string;
            /**
             * @description The labels a node must have, every one, to drive the project's runs (`serve
             *     --node-labels`); none by default. Left as they were when an existing project is
             *     registered again without them.
             */
            node_labels?: string[] | null;
        };
        CreateRun: {
            project_id: string;
            /** @description A definition of that project. */
            workflow_definition_id: string;
            /**
             * @description Defaults to the workflow's `runName` (a template or TypeScript function of the
             *     arguments), else the workflow's name.
             */
            name?: string | null;
            /** @description Must match the workflow's `argsSchema`; `{}` when absent or null. */
            args?: Record<string, unknown> | null;
            /**
             * @description Spending limits `{usd?, tokens?, duration?}` (duration: ms or "30m"); they replace
             *     the definition's `budget`.
             */
            budget?: Record<string, unknown> | null;
            workspace?: components["schemas"]["WorkspaceSpec"] | null;
        };
        /** @description Who wrote a comment. */
        Creator: {
            id: string;
            email: string;
            name?: string | null;
        };
        /** @description The envelope of every successful JSON response. */
        Data_Artifact: {
            /** @description A file uploaded to a step, optionally attached to a comment of the same run. */
            data: {
                id: string;
                workflow_run_step_id: string;
                workflow_comment_id?: string | null;
                name: string;
                /** @description Relative to the project root. */
                file_path: string;
                file_type: components["schemas"]["FileType"];
                mime_type: string;
                /** Format: int64 */
                size_bytes: number;
                /** Format: date-time */
                created_at: string;
                /** Format: date-time */
                updated_at: string;
            };
        };
        /** @description The envelope of every successful JSON response. */
        Data_ArtifactLink: {
            /** @description A signed link to an artifact's file. */
            data: {
                /**
                 * @description Relative to the server: `/api/artifacts/{id}/content?exp=...&sig=...`. Add `&download=1`
                 *     to have it saved rather than shown.
                 */
                url: string;
                /** Format: date-time */
                expires_at: string;
            };
        };
        /** @description The envelope of every successful JSON response. */
        Data_CancelResult: {
            data: {
                id: string;
                status: components["schemas"]["RunStatus"];
                /** Format: date-time */
                cancelled_at?: string | null;
            };
        };
        /** @description The envelope of every successful JSON response. */
        Data_Comment: {
            /** @description A note on a run, or on one of its steps. */
            data: {
                id: string;
                workflow_run_id: string;
                /** @description The step's row id, for a step-level comment. */
                workflow_run_step_id?: string | null;
                text: string;
                comment_type: components["schemas"]["CommentType"];
                created_by?: string | null;
                /** Format: date-time */
                created_at: string;
                /** Format: date-time */
                updated_at: string;
                creator?: components["schemas"]["Creator"] | null;
                /** @description The artifacts attached to it. */
                artifacts: components["schemas"]["Artifact"][];
            };
        };
        /** @description The envelope of every successful JSON response. */
        Data_DefinitionDetail: {
            /** @description A definition with its steps, when they are known before a run (YAML that loads). */
            data: components["schemas"]["Definition"] & {
                /** @description Present for YAML definitions that load; TypeScript steps are known only as they run. */
                steps?: components["schemas"]["StepConfig"][];
            };
        };
        /** @description The envelope of every successful JSON response. */
        Data_Diff: {
            /** @description A unified diff between two commits of a run's worktree, with the files it touches. */
            data: {
                /** @description The commit the diff starts from. */
                base: string;
                /** @description The commit it ends at. */
                head: string;
                files: components["schemas"]["FileChange"][];
                /** @description The unified diff (`git diff -M base head`), cut at `max_bytes`. */
                diff: string;
                /** @description Whether `diff` was cut. */
                truncated: boolean;
                /**
                 * Format: int64
                 * @description The whole diff's size in bytes; when `truncated`, a lower bound (git is stopped once
                 *     past the cap, so this is what was read: the diff is at least this big).
                 */
                total_bytes: number;
            };
        };
        /** @description The envelope of every successful JSON response. */
        Data_Login: {
            data: {
                /** @description The JWT to send as `Authorization: Bearer <token>`. */
                token: string;
                user: components["schemas"]["User"];
            };
        };
        /** @description The envelope of every successful JSON response. */
        Data_PauseResult: {
            data: {
                id: string;
                status: components["schemas"]["RunStatus"];
                /** Format: date-time */
                paused_at?: string | null;
                /** @description True when a step is still in flight: the run pauses when it finishes. */
                pause_requested?: boolean;
            };
        };
        /** @description The envelope of every successful JSON response. */
        Data_Project: {
            /** @description A project: a directory a user works in. */
            data: {
                id: string;
                name: string;
                path: string;
                owner_id?: string | null;
                /**
                 * @description The labels a node must have (every one) to drive the project's runs; `[]`: any node
                 *     that has the project's folder.
                 */
                node_labels: string[];
                /** Format: date-time */
                created_at: string;
                /** Format: date-time */
                updated_at: string;
            };
        };
        /** @description The envelope of every successful JSON response. */
        Data_ResumeResult: {
            data: {
                id: string;
                status: components["schemas"]["RunStatus"];
                /**
                 * @description What the resume did or will run, for people: a YAML run replays the definition it
                 *     started with; the current code accepted; the steps forgotten.
                 */
                notes: string[];
            };
        };
        /** @description The envelope of every successful JSON response. */
        Data_Run: {
            /** @description A workflow execution (run). */
            data: {
                id: string;
                project_id: string;
                /** @description Who started it; null for runs started from the CLI. */
                user_id?: string | null;
                workflow_definition_id: string;
                name: string;
                /** @description The arguments it was started with. */
                args: Record<string, unknown>;
                current_phase?: string | null;
                /** Format: int64 */
                current_step_index: number;
                status: components["schemas"]["RunStatus"];
                error_message?: string | null;
                /** Format: int64 */
                timeout_ms?: number | null;
                /** Format: date-time */
                started_at?: string | null;
                /** Format: date-time */
                completed_at?: string | null;
                /** Format: date-time */
                paused_at?: string | null;
                /** Format: date-time */
                cancelled_at?: string | null;
                /** Format: date-time */
                created_at: string;
                /** Format: date-time */
                updated_at: string;
                /**
                 * @description What the run waits for: its approval, sleep and signal steps still waiting (empty
                 *     unless some are).
                 */
                waiting_for: components["schemas"]["WaitInfo"][];
                budget?: components["schemas"]["Budget"] | null;
                /** @description What its agents spent so far, and its wall time since it first started. */
                spend: components["schemas"]["Spend"];
                budget_stop?: components["schemas"]["BudgetStop"] | null;
                /** @description The run this one was started from (run again, or rerun from a step). */
                parent_run_id?: string | null;
                /**
                 * @description The step id a rerun ran for real from (the steps its parent recorded before it were
                 *     reused); null for a run again.
                 */
                forked_from_step?: string | null;
                /** @description The runs started from this one, oldest first. */
                reruns: components["schemas"]["RerunLink"][];
                /**
                 * @description What a person should know about how it runs: resumed with changed code
                 *     (`use_current`), or a rerun of a definition that changed since its parent ran.
                 */
                warnings: string[];
                queue?: components["schemas"]["QueueInfo"] | null;
                concurrency?: components["schemas"]["ConcurrencyInfo"] | null;
                /**
                 * @description Why no node may take this `pending` run (on PostgreSQL: no live node has both the
                 *     project's folder and every node label it requires); null otherwise.
                 */
                placement?: string | null;
                workspace?: components["schemas"]["RunWorkspaceView"] | null;
            };
        };
        /** @description The envelope of every successful JSON response. */
        Data_RunDetail: {
            /** @description A run with its steps (and their agent sessions) and comments. */
            data: components["schemas"]["Run"] & {
                steps: components["schemas"]["StepWithSession"][];
                workflow_definition?: components["schemas"]["Definition"] | null;
                _count: components["schemas"]["Counts"];
                /** @description Oldest first. */
                comments: components["schemas"]["Comment"][];
                /** @description The definition as the run started it (`definition.json` in the run's folder). */
                definition_snapshot?: Record<string, unknown> | null;
                /** @description A pause was asked for and lands when the steps in flight finish. */
                pause_requested: boolean;
            };
        };
        /** @description The envelope of every successful JSON response. */
        Data_RunNamePreview: {
            /** @description The name a run would get. */
            data: {
                name: string;
                /**
                 * @description Where it comes from: `template` (a `runName` string), `function` (a TypeScript
                 *     `runName` function) or `workflow` (no `runName`: the workflow's name).
                 */
                source: string;
                /** @description The `runName` template, when it is one. */
                template?: string | null;
            };
        };
        /** @description The envelope of every successful JSON response. */
        Data_SecretInfo: {
            /** @description A secret's name and dates; never its value. */
            data: {
                name: string;
                created_at: string;
                updated_at: string;
            };
        };
        /** @description The envelope of every successful JSON response. */
        Data_SignalSent: {
            /** @description What a signal did. */
            data: {
                id: string;
                name: string;
                /** @description The key was used before: nothing new was recorded (`id` is the first signal's). */
                duplicate: boolean;
                /** @description The row id of the waiting step it was handed to; null when kept for a later wait. */
                delivered_to?: string | null;
            };
        };
        /** @description The envelope of every successful JSON response. */
        Data_Step: {
            /** @description A step of a run. */
            data: {
                /** @description The step row's id, as `/api/workflow-steps/{id}` takes it. */
                id: string;
                workflow_run_id: string;
                /** @description The id the workflow gave the step. */
                step_id: string;
                /** Format: int64 */
                step_index: number;
                name: string;
                phase: string;
                type: components["schemas"]["StepKind"];
                status: components["schemas"]["StepStatus"];
                /** @description What the step returned (any JSON); null until it ends. */
                result: unknown;
                continue_on_error: boolean;
                /** Format: int64 */
                attempt: number;
                /** @description Relative to the project; holds the step's logs. */
                log_directory_path?: string | null;
                agent_session_id?: string | null;
                error_message?: string | null;
                /** Format: date-time */
                started_at?: string | null;
                /** Format: date-time */
                completed_at?: string | null;
                /** Format: date-time */
                created_at: string;
                /** Format: date-time */
                updated_at: string;
                /**
                 * @description What a person should know about how the step went, though it may have completed: tool
                 *     calls the agent was denied, a rerun that could not fork the agent's conversation.
                 */
                warnings: string[];
                /**
                 * Format: date-time
                 * @description While an agent step runs: when its CLI last printed anything (updated every few
                 *     seconds at most), for "no output for N min". Null for other steps and before any output.
                 */
                last_output_at?: string | null;
                wait?: components["schemas"]["WaitView"] | null;
                /**
                 * @description Its tries, oldest first (a step that ran once has one); in a run's and a step's
                 *     detail, not in the run list.
                 */
                attempts?: components["schemas"]["StepAttempt"][] | null;
                snapshot?: components["schemas"]["StepSnapshot"] | null;
            };
        };
        /** @description The envelope of every successful JSON response. */
        Data_StepDetail: {
            /** @description A step with its agent session, artifacts and comments. */
            data: components["schemas"]["Step"] & {
                session?: components["schemas"]["AgentSession"] | null;
                /** @description Oldest first. */
                artifacts: components["schemas"]["Artifact"][];
                /** @description Oldest first. */
                comments: components["schemas"]["Comment"][];
            };
        };
        /** @description The envelope of every successful JSON response. */
        Data_StepLog: {
            data: {
                type: components["schemas"]["LogType"];
                step_id: string;
                /**
                 * @description The log's text; empty when it has not been written (yet). For `events`, whole lines
                 *     only: a record still being written is left for the next read.
                 */
                content: string;
                /**
                 * Format: int64
                 * @description How many bytes of the file `content` is: a live `workflow.step.progress` event of this
                 *     try whose `log.log_end` is at most this is already in it.
                 */
                size: number;
            };
        };
        /** @description The envelope of every successful JSON response. */
        Data_Vec_Comment: {
            data: {
                id: string;
                workflow_run_id: string;
                /** @description The step's row id, for a step-level comment. */
                workflow_run_step_id?: string | null;
                text: string;
                comment_type: components["schemas"]["CommentType"];
                created_by?: string | null;
                /** Format: date-time */
                created_at: string;
                /** Format: date-time */
                updated_at: string;
                creator?: components["schemas"]["Creator"] | null;
                /** @description The artifacts attached to it. */
                artifacts: components["schemas"]["Artifact"][];
            }[];
        };
        /** @description The envelope of every successful JSON response. */
        Data_Vec_Definition: {
            data: {
                id: string;
                project_id?: string | null;
                name: string;
                description?: string | null;
                type: components["schemas"]["DefinitionKind"];
                /** @description Absolute path of the file. */
                path: string;
                phases: string[];
                /** @description The JSON Schema a run's `args` must match; null when the workflow declares none. */
                args_schema?: Record<string, unknown> | null;
                load_error?: components["schemas"]["LoadError"] | null;
                is_template: boolean;
                /** Format: date-time */
                created_at: string;
                /** Format: date-time */
                updated_at: string;
                workspace?: components["schemas"]["WorkspaceSpec"] | null;
            }[];
        };
        /** @description The envelope of every successful JSON response. */
        Data_Vec_NodeView: {
            data: {
                /** @description The node's id (`host/pid/nonce`), as runs' `node_id` names it. */
                id: string;
                /** @description Its internal base URL (`--advertise-url`), where other nodes fetch its runs' files. */
                address?: string | null;
                hostname?: string | null;
                /** @description Its `--node-labels`. */
                labels: string[];
                /**
                 * @description The ids of the projects whose folder it has (renewed with its heartbeat): requests that
                 *     need a project's folder are forwarded to a live node listing it.
                 */
                projects: string[];
                started_at: string;
                heartbeat_at: string;
                /** @description Its heartbeat is recent (a node is taken for dead 15 s after its last one). */
                alive: boolean;
                /**
                 * Format: int64
                 * @description Runs `running` under its lease now.
                 */
                runs_driven: number;
                /** @description This is the node that answered. */
                this_node: boolean;
            }[];
        };
        /** @description The envelope of every successful JSON response. */
        Data_Vec_PendingApproval: {
            data: {
                execution_id: string;
                execution_name: string;
                project_id: string;
                project_name: string;
                /** @description The name of the run's workflow. */
                workflow_name: string;
                /** @description The step's row id. */
                step_id: string;
                /** @description The gate's id in the workflow. */
                step_key: string;
                title: string;
                phase: string;
                /** Format: date-time */
                since: string;
                /** Format: date-time */
                deadline?: string | null;
                /** @description Whether the caller may decide it (is among its approvers, or it names none). */
                can_decide: boolean;
                /**
                 * @description Not a gate: a run a limit of its budget stopped, waiting for someone to raise the
                 *     budget (`POST .../budget`) or cancel it. Its `step_id` is `budget:<run id>`.
                 */
                budget_stop?: components["schemas"]["BudgetStop"];
            }[];
        };
        /** @description The envelope of every successful JSON response. */
        Data_Vec_Project: {
            data: {
                id: string;
                name: string;
                path: string;
                owner_id?: string | null;
                /**
                 * @description The labels a node must have (every one) to drive the project's runs; `[]`: any node
                 *     that has the project's folder.
                 */
                node_labels: string[];
                /** Format: date-time */
                created_at: string;
                /** Format: date-time */
                updated_at: string;
            }[];
        };
        /** @description The envelope of every successful JSON response. */
        Data_Vec_SecretInfo: {
            data: {
                name: string;
                created_at: string;
                updated_at: string;
            }[];
        };
        /**
         * @description What a person decides at a gate.
         * @enum {string}
         */
        Decision: "approve" | "reject" | "request_changes" | "retry" | "skip" | "fail";
        /** @description A decision at an approval gate, or at a step whose tries ran out (a retry wait). */
        DecisionBody: {
            /**
             * @description At a gate: `approve`, `reject` or `request_changes`. At a retry wait: `retry` (run the
             *     step again with fresh tries), `skip` (it completes with `value` as its data) or `fail`.
             */
            decision: components["schemas"]["Decision"];
            /** @description A skip's value: the skipped step's data (any JSON; null when left out). */
            value?: Record<string, unknown> | null;
            /** @description Why; becomes a comment on the gate. Asked for when requesting changes. */
            comment?: string | null;
            /** @description The gate's form, filled in (checked against its JSON Schema). */
            input?: Record<string, unknown> | null;
        };
        /**
         * @description A workflow definition: one file of the project's definitions folder. A file that does not
         *     load keeps its row, with `load_error`.
         */
        Definition: {
            id: string;
            project_id?: string | null;
            name: string;
            description?: string | null;
            type: components["schemas"]["DefinitionKind"];
            /** @description Absolute path of the file. */
            path: string;
            phases: string[];
            /** @description The JSON Schema a run's `args` must match; null when the workflow declares none. */
            args_schema?: Record<string, unknown> | null;
            load_error?: components["schemas"]["LoadError"] | null;
            is_template: boolean;
            /** Format: date-time */
            created_at: string;
            /** Format: date-time */
            updated_at: string;
            workspace?: components["schemas"]["WorkspaceSpec"] | null;
        };
        /** @description A definition with its steps, when they are known before a run (YAML that loads). */
        DefinitionDetail: components["schemas"]["Definition"] & {
            /** @description Present for YAML definitions that load; TypeScript steps are known only as they run. */
            steps?: components["schemas"]["StepConfig"][];
        };
        /** @description A definition that cannot be used, with where the problem is. */
        DefinitionError: {
            message: string;
            location?: components["schemas"]["Location"] | null;
        };
        /**
         * @description Which front-end a definition came from.
         * @enum {string}
         */
        DefinitionKind: "code" | "yaml";
        /** @description A unified diff between two commits of a run's worktree, with the files it touches. */
        Diff: {
            /** @description The commit the diff starts from. */
            base: string;
            /** @description The commit it ends at. */
            head: string;
            files: components["schemas"]["FileChange"][];
            /** @description The unified diff (`git diff -M base head`), cut at `max_bytes`. */
            diff: string;
            /** @description Whether `diff` was cut. */
            truncated: boolean;
            /**
             * Format: int64
             * @description The whole diff's size in bytes; when `truncated`, a lower bound (git is stopped once
             *     past the cap, so this is what was read: the diff is at least this big).
             */
            total_bytes: number;
        };
        /** @description Every error response: `{ "error": { "code", "message" } }`. */
        ErrorBody: {
            error: components["schemas"]["ErrorDetail"];
        };
        ErrorDetail: {
            /**
             * @description What went wrong, for programs: `invalid_body`, `invalid_query`, `invalid_args`,
             *     `invalid_definition`, `invalid_log_type` (400), `unauthorized` (401), `not_found` (404),
             *     `invalid_state`, `source_changed` (409), `payload_too_large` (413), `internal` (500).
             * @example not_found
             */
            code: string;
            /** @description What went wrong, for people; a field's problem starts with its name (`name: ...`). */
            message: string;
            /**
             * @description With `invalid_args`: each way the arguments miss the workflow's `argsSchema`; with
             *     `source_changed`: each file of the workflow that changed since the run recorded it.
             */
            details?: string[];
            /** @description With `invalid_state` (409): the run's status, which did not allow the request. */
            current_status?: components["schemas"]["RunStatus"];
        };
        Event: {
            data: {
                execution_id: string;
                project_id: string;
                name: string;
                status: components["schemas"]["RunStatus"];
                /**
                 * @description The definition the run follows, its name and phases (the board's columns), and
                 *     the phase the run starts in: enough to place a new card from events alone.
                 */
                workflow_definition_id: string;
                workflow_name: string;
                phases: string[];
                current_phase?: string | null;
            };
            /** @enum {string} */
            type: "workflow.execution.created";
        } | {
            data: {
                execution_id: string;
                status: components["schemas"]["RunStatus"];
                project_id: string;
                error_message?: string | null;
            };
            /** @enum {string} */
            type: "workflow.execution.status_changed";
        } | {
            data: {
                execution_id: string;
                current_phase: string;
                project_id: string;
            };
            /** @enum {string} */
            type: "workflow.execution.phase_changed";
        } | {
            data: {
                execution_id: string;
                step_id: string;
                step_key: string;
                step_name: string;
                step_type: components["schemas"]["StepKind"];
                phase: string;
                project_id: string;
            };
            /** @enum {string} */
            type: "workflow.step.started";
        } | {
            data: {
                execution_id: string;
                step_id: string;
                step_key: string;
                status: components["schemas"]["StepStatus"];
                error?: string | null;
                /** Format: int64 */
                duration_ms: number;
                project_id: string;
                /**
                 * @description The step's `warnings` (denied tool calls, a rerun's fork that could not be made);
                 *     left out when there are none.
                 */
                warnings?: string[];
            };
            /** @enum {string} */
            type: "workflow.step.completed";
        } | {
            data: {
                execution_id: string;
                step_id: string;
                step_key: string;
                /**
                 * @description `stdout` or `stderr` for lines; for agent steps also `session`, `assistant`,
                 *     `thinking`, `tool_call`, `tool_result`, `warning`, `retry` and `result`.
                 */
                stream: string;
                /** @description A line of text for people (tool inputs and results cut short). */
                output: string;
                /**
                 * @description Structured detail for agent events: the tool's name, id and input, a result's
                 *     `isError`, a session's id and model.
                 */
                detail?: Record<string, unknown> | null;
                log?: components["schemas"]["LogMark"] | null;
                project_id: string;
            };
            /** @enum {string} */
            type: "workflow.step.progress";
        } | {
            data: {
                execution_id: string;
                comment_id: string;
                step_id?: string | null;
                project_id: string;
            };
            /** @enum {string} */
            type: "workflow.comment.created";
        } | {
            /** @description A file uploaded to a step (`POST /api/workflow-executions/{id}/artifacts`). */
            data: {
                execution_id: string;
                artifact_id: string;
                step_id: string;
                project_id: string;
            };
            /** @enum {string} */
            type: "workflow.artifact.created";
        } | {
            data: {
                execution_id: string;
                artifact_id: string;
                comment_id: string;
                project_id: string;
            };
            /** @enum {string} */
            type: "workflow.artifact.attached";
        } | {
            /**
             * @description A step began to wait: an approval gate for a person, a timer, or a signal. The run
             *     goes `waiting` (its own event) once nothing else of it runs.
             */
            data: {
                execution_id: string;
                step_id: string;
                step_key: string;
                step_name: string;
                kind: components["schemas"]["WaitKind"];
                phase: string;
                /** @description An approval's title. */
                title?: string | null;
                /** @description A signal wait's signal name. */
                signal_name?: string | null;
                /** @description When a sleep wakes, or when an approval or signal wait times out (RFC 3339). */
                deadline?: string | null;
                project_id: string;
            };
            /** @enum {string} */
            type: "workflow.step.waiting";
        } | {
            /** @description An approval gate was decided: by a person (API, board, CLI) or by its timeout. */
            data: {
                execution_id: string;
                step_id: string;
                step_key: string;
                /** @description `approved`, `rejected` or `changes_requested`. */
                decision: string;
                /** @description Who decided: a user's email, `cli:<user>` for the terminal, `timeout`. */
                by: string;
                comment?: string | null;
                project_id: string;
            };
            /** @enum {string} */
            type: "workflow.approval.decided";
        } | {
            /** @description The workflow's own console output (`console.log` in a TS workflow). */
            data: {
                execution_id: string;
                level: string;
                message: string;
                project_id: string;
            };
            /** @enum {string} */
            type: "workflow.execution.log";
        };
        /**
         * Format: binary
         * @description A file's bytes.
         */
        FileBytes: string;
        /** @description One file changed between two commits, with its line counts (0 for a binary file). */
        FileChange: {
            /** @description The path in the tree (the new path of a renamed file). */
            path: string;
            /** @description A renamed file's path before. */
            old_path?: string | null;
            status: components["schemas"]["FileChangeStatus"];
            /** Format: int64 */
            additions: number;
            /** Format: int64 */
            deletions: number;
            binary: boolean;
        };
        /**
         * @description How a file changed between two commits.
         * @enum {string}
         */
        FileChangeStatus: "added" | "modified" | "deleted" | "renamed";
        /**
         * @description What an artifact is, as the board shows it.
         * @enum {string}
         */
        FileType: "image" | "video" | "document" | "code" | "other";
        /**
         * @description `workspace.isolation`: the run works in the project checkout, or in a git worktree
         *     of its own.
         * @enum {string}
         */
        Isolation: "none" | "worktree";
        /** @description An event from the journal: `{ "seq", "type", "data" }`. */
        JournalEvent: components["schemas"]["Event"] & {
            /**
             * Format: int64
             * @description The event's position in the journal; reconnect with `?since=<seq>` to miss nothing.
             */
            seq: number;
        };
        /**
         * @description `workspace.keep`: what becomes of the worktree when the run ends.
         * @enum {string}
         */
        KeepPolicy: "always" | "on-failure" | "never";
        /** @enum {string} */
        LaggedType: "stream.lagged";
        LoadError: {
            /** @description Every problem, one a line. */
            message: string;
            errors: components["schemas"]["DefinitionError"][];
        };
        /** @description A position in a definition file, 1-based. */
        Location: {
            file: string;
            line: number;
            column: number;
        };
        /**
         * @description Where a progress event's record is in its step's `events.jsonl`, so that a client joining
         *     the file it read with the live events keeps each line once (the file is written before the
         *     event is sent, buffered: either may be ahead of the other).
         */
        LogMark: {
            /**
             * Format: int64
             * @description The try whose `events.jsonl` holds the record (1 = the step's own folder).
             */
            attempt: number;
            /**
             * Format: int64
             * @description Where the record ends in that file (bytes): a read of at least this size holds it.
             */
            log_end: number;
            /** @description When the record was written (its `ts`). */
            ts: string;
        };
        /**
         * @description Which log of a step.
         * @enum {string}
         */
        LogType: "input" | "output" | "events" | "summary";
        Login: {
            /** @description The JWT to send as `Authorization: Bearer <token>`. */
            token: string;
            user: components["schemas"]["User"];
        };
        LoginBody: {
            email: string;
            password: string;
        };
        Missed: {
            /**
             * Format: int64
             * @description How many events were skipped.
             */
            missed: number;
        };
        /** @description One engine node (`workflow-engine serve` process). */
        NodeView: {
            /** @description The node's id (`host/pid/nonce`), as runs' `node_id` names it. */
            id: string;
            /** @description Its internal base URL (`--advertise-url`), where other nodes fetch its runs' files. */
            address?: string | null;
            hostname?: string | null;
            /** @description Its `--node-labels`. */
            labels: string[];
            /**
             * @description The ids of the projects whose folder it has (renewed with its heartbeat): requests that
             *     need a project's folder are forwarded to a live node listing it.
             */
            projects: string[];
            started_at: string;
            heartbeat_at: string;
            /** @description Its heartbeat is recent (a node is taken for dead 15 s after its last one). */
            alive: boolean;
            /**
             * Format: int64
             * @description Runs `running` under its lease now.
             */
            runs_driven: number;
            /** @description This is the node that answered. */
            this_node: boolean;
        };
        /**
         * @description The body of `POST .../pause`; none, or `{}`, asks for the pause that lets the steps in
         *     flight finish.
         */
        PauseBody: {
            /**
             * @description Pause now: stop the steps in flight (agents get SIGINT first, so that they save their
             *     session) instead of waiting for them; they run again on resume.
             */
            now?: boolean;
        };
        PauseResult: {
            id: string;
            status: components["schemas"]["RunStatus"];
            /** Format: date-time */
            paused_at?: string | null;
            /** @description True when a step is still in flight: the run pauses when it finishes. */
            pause_requested?: boolean;
        };
        /** @description A gate waiting for a decision. */
        PendingApproval: {
            execution_id: string;
            execution_name: string;
            project_id: string;
            project_name: string;
            /** @description The name of the run's workflow. */
            workflow_name: string;
            /** @description The step's row id. */
            step_id: string;
            /** @description The gate's id in the workflow. */
            step_key: string;
            title: string;
            phase: string;
            /** Format: date-time */
            since: string;
            /** Format: date-time */
            deadline?: string | null;
            /** @description Whether the caller may decide it (is among its approvers, or it names none). */
            can_decide: boolean;
            /**
             * @description Not a gate: a run a limit of its budget stopped, waiting for someone to raise the
             *     budget (`POST .../budget`) or cancel it. Its `step_id` is `budget:<run id>`.
             */
            budget_stop?: components["schemas"]["BudgetStop"];
        };
        /**
         * @description The type of a comment a user posts: only `user` (the engine writes `system` and `agent`).
         * @enum {string}
         */
        PostedCommentType: "user";
        /** @description A project: a directory a user works in. */
        Project: {
            id: string;
            name: string;
            path: string;
            owner_id?: string | null;
            /**
             * @description The labels a node must have (every one) to drive the project's runs; `[]`: any node
             *     that has the project's folder.
             */
            node_labels: string[];
            /** Format: date-time */
            created_at: string;
            /** Format: date-time */
            updated_at: string;
        };
        /** @description A queued run's place. */
        QueueInfo: {
            reason: components["schemas"]["QueueReason"];
            /**
             * Format: int64
             * @description 1 for the run that starts next: among the runs waiting for a slot, or (reason
             *     `concurrency_key`) among the runs waiting for the same key.
             */
            position: number;
            /**
             * Format: int64
             * @description Runs driven now.
             */
            running: number;
            /**
             * Format: int64
             * @description The most runs driven at once.
             */
            limit: number;
            /** @description The concurrency key it waits for; null when it waits for a slot. */
            key?: string | null;
            /**
             * Format: int64
             * @description Runs with that key running now (on any server or terminal); null when it waits for a slot.
             */
            key_running?: number | null;
            /**
             * Format: int64
             * @description The most runs with that key running at once; null when it waits for a slot.
             */
            key_limit?: number | null;
        };
        /**
         * @description Why a `pending` run has not started (`Run.queue.reason`).
         * @enum {string}
         */
        QueueReason: "concurrency_limit" | "concurrency_key";
        /** @description The limits to set: those given replace the run's, the others stay. */
        RaiseBudget: {
            /**
             * Format: double
             * @description Most US dollars the run's agents may spend in all.
             */
            usd?: number | null;
            /**
             * Format: int64
             * @description Most input + output tokens.
             */
            tokens?: number | null;
            /** @description Most wall time since the run first started: milliseconds, or text like "30m". */
            duration?: string | null;
        };
        /** @description The body of `POST .../rerun`; none, or `{}`, runs the run again with its arguments. */
        RerunBody: {
            /**
             * @description The step (its id, e.g. `build`, or its row id) to run for real from: the results of
             *     every step the run recorded before it (in the order it started them) are reused.
             *     Absent: every step runs again.
             */
            from_step_id?: string | null;
            /**
             * @description New arguments, the whole object (checked against the workflow's `argsSchema`); absent
             *     or null: the run's own.
             */
            args?: Record<string, unknown> | null;
        };
        /** @description A run started from another. */
        RerunLink: {
            id: string;
            name: string;
            status: components["schemas"]["RunStatus"];
            /** @description The step it ran for real from; null for a run again. */
            forked_from_step?: string | null;
            /** Format: date-time */
            created_at: string;
        };
        /** @description The body of `POST .../resume`; none, or `{}`, replays the run as it is. */
        ResumeBody: {
            /**
             * @description Resume a TypeScript run whose source changed since it started with the current code:
             *     the results of the steps it completed are handed to the new code, and a warning saying
             *     so is recorded on the run (`warnings`). Without it, such a resume is a 409 `source_changed`.
             */
            use_current?: boolean;
            /**
             * @description Forget the memo of this step (its id) and of every step recorded after it before
             *     replaying: they run again.
             */
            rerun_step?: string | null;
        };
        ResumeResult: {
            id: string;
            status: components["schemas"]["RunStatus"];
            /**
             * @description What the resume did or will run, for people: a YAML run replays the definition it
             *     started with; the current code accepted; the steps forgotten.
             */
            notes: string[];
        };
        /** @description A checked `retry` policy, as the definition snapshot and `input.json` keep it. */
        RetrySpec: {
            /**
             * Format: int32
             * @description Tries in all, the first included (1 = no retry).
             */
            attempts: number;
            /** Format: int64 */
            initialDelayMs: number;
            /**
             * Format: double
             * @description Each wait is the one before times this (1 = fixed delays).
             */
            backoff: number;
            /** Format: int64 */
            maxDelayMs: number;
            /** @description Scripts: the exit codes retried (absent: every failure). Agents: failure classes. */
            retryOn?: unknown[] | null;
            /** @description `fail` (default) or `wait`: a person decides to retry, skip or fail the step. */
            onExhausted?: string;
        };
        /** @description A workflow execution (run). */
        Run: {
            id: string;
            project_id: string;
            /** @description Who started it; null for runs started from the CLI. */
            user_id?: string | null;
            workflow_definition_id: string;
            name: string;
            /** @description The arguments it was started with. */
            args: Record<string, unknown>;
            current_phase?: string | null;
            /** Format: int64 */
            current_step_index: number;
            status: components["schemas"]["RunStatus"];
            error_message?: string | null;
            /** Format: int64 */
            timeout_ms?: number | null;
            /** Format: date-time */
            started_at?: string | null;
            /** Format: date-time */
            completed_at?: string | null;
            /** Format: date-time */
            paused_at?: string | null;
            /** Format: date-time */
            cancelled_at?: string | null;
            /** Format: date-time */
            created_at: string;
            /** Format: date-time */
            updated_at: string;
            /**
             * @description What the run waits for: its approval, sleep and signal steps still waiting (empty
             *     unless some are).
             */
            waiting_for: components["schemas"]["WaitInfo"][];
            budget?: components["schemas"]["Budget"] | null;
            /** @description What its agents spent so far, and its wall time since it first started. */
            spend: components["schemas"]["Spend"];
            budget_stop?: components["schemas"]["BudgetStop"] | null;
            /** @description The run this one was started from (run again, or rerun from a step). */
            parent_run_id?: string | null;
            /**
             * @description The step id a rerun ran for real from (the steps its parent recorded before it were
             *     reused); null for a run again.
             */
            forked_from_step?: string | null;
            /** @description The runs started from this one, oldest first. */
            reruns: components["schemas"]["RerunLink"][];
            /**
             * @description What a person should know about how it runs: resumed with changed code
             *     (`use_current`), or a rerun of a definition that changed since its parent ran.
             */
            warnings: string[];
            queue?: components["schemas"]["QueueInfo"] | null;
            concurrency?: components["schemas"]["ConcurrencyInfo"] | null;
            /**
             * @description Why no node may take this `pending` run (on PostgreSQL: no live node has both the
             *     project's folder and every node label it requires); null otherwise.
             */
            placement?: string | null;
            workspace?: components["schemas"]["RunWorkspaceView"] | null;
        };
        /** @description A run with its steps (and their agent sessions) and comments. */
        RunDetail: components["schemas"]["Run"] & {
            steps: components["schemas"]["StepWithSession"][];
            workflow_definition?: components["schemas"]["Definition"] | null;
            _count: components["schemas"]["Counts"];
            /** @description Oldest first. */
            comments: components["schemas"]["Comment"][];
            /** @description The definition as the run started it (`definition.json` in the run's folder). */
            definition_snapshot?: Record<string, unknown> | null;
            /** @description A pause was asked for and lands when the steps in flight finish. */
            pause_requested: boolean;
        };
        RunNameBody: {
            /** @description The arguments as typed so far; `{}` when absent or null. */
            args?: Record<string, unknown> | null;
        };
        /** @description The name a run would get. */
        RunNamePreview: {
            name: string;
            /**
             * @description Where it comes from: `template` (a `runName` string), `function` (a TypeScript
             *     `runName` function) or `workflow` (no `runName`: the workflow's name).
             */
            source: string;
            /** @description The `runName` template, when it is one. */
            template?: string | null;
        };
        /** @description A page of runs, newest first. */
        RunPage: {
            data: components["schemas"]["RunSummary"][];
            /** @description Pass as `cursor` for the next page; null on the last one. */
            next_cursor?: string | null;
        };
        /**
         * @description Where a run is in its life: `pending` → `running` → `completed` | `failed` |
         *     `cancelled`, with `paused` (and a failed run) able to go back to `pending`/`running`,
         *     and `waiting` (for a person, a timer or a signal; no process holds it) going back to
         *     `pending` when what it waits for arrives.
         * @enum {string}
         */
        RunStatus: "pending" | "running" | "waiting" | "paused" | "completed" | "failed" | "cancelled";
        /** @description A run as the list shows it: with its steps, its definition and counts. */
        RunSummary: components["schemas"]["Run"] & {
            steps: components["schemas"]["Step"][];
            workflow_definition?: components["schemas"]["Definition"] | null;
            _count: components["schemas"]["Counts"];
        };
        /** @description A run's git worktree. */
        RunWorkspaceView: {
            isolation: components["schemas"]["Isolation"];
            /** @description The worktree's folder. */
            path: string;
            /** @description The project checkout it was made from. */
            repo_path: string;
            branch: string;
            /** @description The ref or commit it started from, as asked. */
            base: string;
            /** @description What `base` resolved to; null until the worktree is made. */
            base_commit?: string | null;
            state: components["schemas"]["WorkspaceState"];
            /** @description Why it could not be made (`failed`), or removed (`kept` with an error). */
            error?: string | null;
            keep: components["schemas"]["KeepPolicy"];
            delete_branch: boolean;
            /**
             * @description A rerun from a step: the parent's snapshot whose files this worktree started with, as
             *     uncommitted changes over `base_commit`; null otherwise.
             */
            start_commit?: string | null;
        };
        /** @description A secret's name and dates; never its value. */
        SecretInfo: {
            name: string;
            created_at: string;
            updated_at: string;
        };
        /**
         * @description How an agent CLI's session stands (`agent_sessions.status`).
         * @enum {string}
         */
        SessionStatus: "running" | "completed" | "failed";
        SetSecret: {
            /** @description The value: not empty, at most 64 KiB, no NUL byte. */
            value: string;
        };
        /** @description A signal sent to a run. */
        SignalBody: {
            /** @description Any JSON; what `waitForSignal` returns. */
            payload?: Record<string, unknown> | null;
            /** @description A signal sent again with the same key is recorded once. */
            idempotency_key?: string | null;
        };
        /** @description What a signal did. */
        SignalSent: {
            id: string;
            name: string;
            /** @description The key was used before: nothing new was recorded (`id` is the first signal's). */
            duplicate: boolean;
            /** @description The row id of the waiting step it was handed to; null when kept for a later wait. */
            delivered_to?: string | null;
        };
        /** @description What a run spent. */
        Spend: {
            /**
             * Format: double
             * @description US dollars, as the agent CLIs reported them.
             */
            usd: number;
            /**
             * Format: int64
             * @description Input + output tokens (cache reads not counted).
             */
            tokens: number;
            /**
             * Format: int64
             * @description Wall-clock time since the run first started.
             */
            duration_ms: number;
        };
        /** @description A step of a run. */
        Step: {
            /** @description The step row's id, as `/api/workflow-steps/{id}` takes it. */
            id: string;
            workflow_run_id: string;
            /** @description The id the workflow gave the step. */
            step_id: string;
            /** Format: int64 */
            step_index: number;
            name: string;
            phase: string;
            type: components["schemas"]["StepKind"];
            status: components["schemas"]["StepStatus"];
            /** @description What the step returned (any JSON); null until it ends. */
            result: unknown;
            continue_on_error: boolean;
            /** Format: int64 */
            attempt: number;
            /** @description Relative to the project; holds the step's logs. */
            log_directory_path?: string | null;
            agent_session_id?: string | null;
            error_message?: string | null;
            /** Format: date-time */
            started_at?: string | null;
            /** Format: date-time */
            completed_at?: string | null;
            /** Format: date-time */
            created_at: string;
            /** Format: date-time */
            updated_at: string;
            /**
             * @description What a person should know about how the step went, though it may have completed: tool
             *     calls the agent was denied, a rerun that could not fork the agent's conversation.
             */
            warnings: string[];
            /**
             * Format: date-time
             * @description While an agent step runs: when its CLI last printed anything (updated every few
             *     seconds at most), for "no output for N min". Null for other steps and before any output.
             */
            last_output_at?: string | null;
            wait?: components["schemas"]["WaitView"] | null;
            /**
             * @description Its tries, oldest first (a step that ran once has one); in a run's and a step's
             *     detail, not in the run list.
             */
            attempts?: components["schemas"]["StepAttempt"][] | null;
            snapshot?: components["schemas"]["StepSnapshot"] | null;
        };
        /** @description One try of a step. */
        StepAttempt: {
            /**
             * Format: int64
             * @description 1, 2, ...: a step tried again after a decision or a resume goes on counting.
             */
            attempt: number;
            /** Format: date-time */
            started_at?: string | null;
            /** Format: date-time */
            ended_at?: string | null;
            outcome: components["schemas"]["AttemptOutcome"];
            error?: string | null;
            /** @description Relative to the project: this try's logs (`GET /api/workflow-steps/{id}/logs/events?attempt=N`). */
            log_dir?: string | null;
        };
        /**
         * @description One step's configuration: the spec's `StepConfig` union, flattened. Which fields apply is
         *     decided by `kind`; the parsers reject fields that do not belong to the kind.
         */
        StepConfig: {
            id: string;
            name: string;
            phase: string;
            type?: components["schemas"]["StepKind"] | null;
            command?: string | null;
            cwd?: string | null;
            prompt?: string | null;
            agent?: string | null;
            permission?: string | null;
            /** @description Agent steps: the model to ask the CLI for (`--model`). */
            model?: string | null;
            /**
             * Format: int32
             * @description Agent steps: the most turns the agent may take (Claude `--max-turns`).
             */
            maxTurns?: number | null;
            /**
             * Format: double
             * @description Agent steps: the most US dollars one go of the step may spend (`maxCostUsd`).
             */
            maxCostUsd?: number | null;
            /**
             * Format: int64
             * @description Agent steps: the most tokens one go of the step may use (`maxTokens`).
             */
            maxTokens?: number | null;
            /**
             * @description Agent steps: JSON Schema the final answer must match (zod is converted); the parsed
             *     answer becomes the result's `data.output`.
             */
            outputSchema?: unknown;
            /**
             * @description Agent steps: what a step interrupted by a crash does on resume: `restart` (default)
             *     runs it again from the prompt; `resume` continues the agent's session.
             */
            onInterrupt?: string | null;
            /** @description Agent steps: tool rules the agent may use without asking (`allowedTools`). */
            allowedTools?: string[];
            /** @description Agent steps: tool rules the agent may not use (`disallowedTools`). */
            disallowedTools?: string[];
            /** @description Agent steps: text added to the agent's system prompt (`appendSystemPrompt`). */
            appendSystemPrompt?: string | null;
            /**
             * @description Agent steps: MCP servers (`mcpConfig`): a file relative to the workdir (a string), or
             *     the configuration itself (an object), written to a file in the step's folder.
             */
            mcpConfig?: unknown;
            /** @description Agent steps: more directories the agent may work in, relative to the workdir (`addDirs`). */
            addDirs?: string[];
            /** @description Agent steps: arguments passed to the CLI as written, each one word (`extraArgs`). */
            extraArgs?: string[];
            /**
             * Format: int64
             * @description Agent steps: how long the CLI may print nothing before it is stopped as `stalled`
             *     (`stallTimeout`, milliseconds); None: the configured default (15 minutes).
             */
            stallTimeoutMs?: number | null;
            env?: {
                [key: string]: string;
            };
            /**
             * Format: int64
             * @description Step timeout in milliseconds.
             */
            timeoutMs?: number | null;
            continueOnError?: boolean;
            retry?: components["schemas"]["RetrySpec"] | null;
            /** @description Approval steps: the gate's title (templated in YAML). */
            title?: string | null;
            /** @description Approval steps: Markdown shown to the person deciding (templated in YAML). */
            description?: string | null;
            /** @description Approval steps: who may decide (emails); empty: anyone who may see the project. */
            approvers?: string[];
            /** @description Approval steps: what a timeout decides: `reject` (default), `approve` or `fail`. */
            onTimeout?: string | null;
            /** @description Approval steps: JSON Schema of the input the person fills in when deciding. */
            form?: unknown;
            /**
             * Format: int64
             * @description Sleep steps: how long, in milliseconds.
             */
            durationMs?: number | null;
            /** @description Signal steps: the name of the signal waited for. */
            signal?: string | null;
            /**
             * @description YAML: the condition the step runs under (`if:`, `definition::expr`); when it is false
             *     the step is recorded `skipped` with the condition as the reason.
             */
            if?: string | null;
            location?: components["schemas"]["Location"] | null;
        };
        /** @description A step with its agent session, artifacts and comments. */
        StepDetail: components["schemas"]["Step"] & {
            session?: components["schemas"]["AgentSession"] | null;
            /** @description Oldest first. */
            artifacts: components["schemas"]["Artifact"][];
            /** @description Oldest first. */
            comments: components["schemas"]["Comment"][];
        };
        /**
         * @description What kind of work a step does.
         * @enum {string}
         */
        StepKind: "script" | "agent" | "function" | "approval" | "sleep" | "signal";
        StepLog: {
            type: components["schemas"]["LogType"];
            step_id: string;
            /**
             * @description The log's text; empty when it has not been written (yet). For `events`, whole lines
             *     only: a record still being written is left for the next read.
             */
            content: string;
            /**
             * Format: int64
             * @description How many bytes of the file `content` is: a live `workflow.step.progress` event of this
             *     try whose `log.log_end` is at most this is already in it.
             */
            size: number;
        };
        /**
         * @description The commit a script or agent step of a worktree run left the worktree at
         *     (`refs/workflow-engine/<run-id>/<step-row-id>`) and what changed since the one before.
         */
        StepSnapshot: {
            commit: string;
            /** @description The run's snapshot before it, or the worktree's base commit. */
            parent: string;
            files_changed: components["schemas"]["FileChange"][];
            /** Format: int64 */
            additions: number;
            /** Format: int64 */
            deletions: number;
        };
        /**
         * @description Where a step is: `pending` → `running` → `completed` | `failed` (or `skipped`); an
         *     approval, sleep or signal step is `waiting` until it is decided, due or signalled.
         * @enum {string}
         */
        StepStatus: "pending" | "running" | "waiting" | "completed" | "failed" | "skipped";
        /** @description A step with the agent session behind it (null unless an agent step). */
        StepWithSession: components["schemas"]["Step"] & {
            session?: components["schemas"]["AgentSession"] | null;
        };
        /**
         * @description The connection fell behind the live stream and skipped events: reconnect with
         *     `?since=<last seq seen>` to replay them.
         */
        StreamLagged: {
            type: components["schemas"]["LaggedType"];
            data: components["schemas"]["Missed"];
        };
        UpdateProject: {
            /**
             * @description The labels a node must have, every one, to drive the project's runs; `[]` for any
             *     node that has the project's folder.
             */
            node_labels: string[];
        };
        /** @description A user, as the API shows one (never the password hash). */
        User: {
            id: string;
            email: string;
            name?: string | null;
            is_admin: boolean;
            /** Format: date-time */
            created_at: string;
            /** Format: date-time */
            updated_at: string;
        };
        /** @description A step the run waits at. */
        WaitInfo: {
            /** @description The step's row id. */
            step_id: string;
            /** @description The id the workflow gave the step (`approve-plan`). */
            step_key: string;
            kind: components["schemas"]["WaitKind"];
            /** @description An approval's title. */
            title?: string | null;
            signal_name?: string | null;
            /**
             * Format: date-time
             * @description A sleep's wake time, or when the wait times out.
             */
            deadline?: string | null;
            /**
             * Format: date-time
             * @description When it began waiting.
             */
            since: string;
        };
        /**
         * @description What a waiting step waits for (`workflow_waits.kind`): the step kinds that wait.
         * @enum {string}
         */
        WaitKind: "approval" | "sleep" | "signal" | "retry";
        /**
         * @description What a waiting step waits for: a gate's title, description, approvers and form, a
         *     timer's wake time, a signal's name. Kept once the step is resolved.
         */
        WaitView: {
            kind: components["schemas"]["WaitKind"];
            title?: string | null;
            /** @description Markdown. */
            description?: string | null;
            /** @description Who may decide (emails); empty: anyone who may see the project. */
            approvers: string[];
            /** @description JSON Schema of the input asked for when deciding. */
            form?: Record<string, unknown> | null;
            /** @description `reject`, `approve` or `fail`. */
            on_timeout?: string | null;
            signal_name?: string | null;
            /**
             * Format: date-time
             * @description A sleep's wake time, or when the wait times out.
             */
            deadline?: string | null;
            /**
             * Format: date-time
             * @description When it began waiting.
             */
            since: string;
            /** Format: date-time */
            resolved_at?: string | null;
            /** @description Whether the caller may decide this gate now. */
            can_decide: boolean;
        };
        /**
         * @description Workspace settings, each left out one taken from below (the definition's under a run's
         *     own, the defaults under both).
         */
        WorkspaceSpec: {
            isolation?: components["schemas"]["Isolation"] | null;
            /** @description A ref or commit the worktree starts from (default `HEAD` of the project checkout). */
            base?: string | null;
            /** @description The branch's name: a template over `run.name` (slugged), `run.shortId`, `run.id`. */
            branch?: string | null;
            keep?: components["schemas"]["KeepPolicy"] | null;
            /** @description Delete the branch too when the worktree is removed (default false). */
            deleteBranch?: boolean | null;
        };
        /**
         * @description Where a run's worktree is in its life (`run_workspaces.state`).
         * @enum {string}
         */
        WorkspaceState: "creating" | "active" | "kept" | "removed" | "failed";
        /** @description One WebSocket text message: a journal event, or a note that the connection fell behind. */
        WsMessage: components["schemas"]["JournalEvent"] | components["schemas"]["StreamLagged"];
    };
    responses: never;
    parameters: never;
    requestBodies: never;
    headers: never;
    pathItems: never;
}
export type $defs = Record<string, never>;
export interface operations {
    login: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["LoginBody"];
            };
        };
        responses: {
            /** @description Signed in. */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Data_Login"];
                };
            };
            /** @description The body is not a JSON object with `email` and `password` (`invalid_body`). */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description Wrong email or password. */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description Too many failed attempts (`too_many_requests`); `Retry-After` gives the seconds to wait. */
            429: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
        };
    };
    logout: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Signed out: the token is revoked. */
            204: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
            /** @description No valid token (already revoked, expired or malformed). */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
        };
    };
    list_projects: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The projects. */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Data_Vec_Project"];
                };
            };
            /** @description No valid token. */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
        };
    };
    create_project: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["CreateProject"];
            };
        };
        responses: {
            /** @description The project. */
            201: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Data_Project"];
                };
            };
            /** @description A bad `node_labels` entry (named: `node_labels[1]: ...`), an empty name, a relative path, `/` or a system directory, a path outside the server's project roots, or one that is not an existing directory the caller may register (missing, a file, the server's data directory, another user's project: one message for all, which does not say which), or another body problem (`invalid_body`). */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description No valid token. */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
        };
    };
    get_project: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description The project's id. */
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The project. */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Data_Project"];
                };
            };
            /** @description No valid token. */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description No such project, or not the caller's to see. */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
        };
    };
    update_project: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description The project's id. */
                id: string;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["UpdateProject"];
            };
        };
        responses: {
            /** @description The project. */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Data_Project"];
                };
            };
            /** @description A bad label, named (`node_labels[1]: ...`), or another body problem (`invalid_body`). */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description No valid token. */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description No such project, or not the caller's to see. */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
        };
    };
    list_definitions: {
        parameters: {
            query?: {
                /** @description Only this project's definitions; all the caller may see when absent. */
                project_id?: string;
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The definitions. */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Data_Vec_Definition"];
                };
            };
            /** @description No valid token. */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description No project `project_id` the caller may see. */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
        };
    };
    get_definition: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description The definition's id. */
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The definition. */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Data_DefinitionDetail"];
                };
            };
            /** @description No valid token. */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description No such definition the caller may see. */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description The project's folder is not on this node and no live engine node has it (`node_unavailable`). */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
        };
    };
    preview_run_name: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description The definition's id. */
                id: string;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["RunNameBody"];
            };
        };
        responses: {
            /** @description The name. */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Data_RunNamePreview"];
                };
            };
            /** @description `args` is not an object (`invalid_body`), the workflow file does not load (`invalid_definition`), or the `runName` function threw or gave no name (`invalid_args`, the reason in `details`). */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description No valid token. */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description No such definition the caller may see. */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description The project's folder is not on this node and no live engine node has it (`node_unavailable`). */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
        };
    };
    list_runs: {
        parameters: {
            query?: {
                /** @description Only this project's runs. */
                project_id?: string;
                /** @description Only runs with this status. */
                status?: components["schemas"]["RunStatus"];
                /** @description Only runs of this definition. */
                workflow_definition_id?: string;
                /**
                 * @description Runs whose name, id, an argument value, error text, or a step's name, key or error
                 *     text contains this (case-insensitive).
                 */
                q?: string;
                /** @description Only runs created at or after this time (RFC 3339, or a date `YYYY-MM-DD`, UTC). */
                created_after?: string;
                /** @description Only runs created before this time (RFC 3339, or a date: before that day starts). */
                created_before?: string;
                /**
                 * @description One board column's runs (`__pending`, a phase or `__done` with
                 *     `workflow_definition_id`; a status without): a column's `next_cursor` pages it.
                 */
                column?: string;
                /** @description Runs per page. */
                limit?: number;
                /** @description The `next_cursor` of the previous page. */
                cursor?: string;
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description A page of runs. */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["RunPage"];
                };
            };
            /** @description A status, limit, time or column out of range (`invalid_query`, naming the parameter). */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description No valid token. */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description No project `project_id` or definition `workflow_definition_id` the caller may see. */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
        };
    };
    create_run: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["CreateRun"];
            };
        };
        responses: {
            /** @description The run, `pending` or already `running`. */
            201: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Data_Run"];
                };
            };
            /** @description A body problem (`invalid_body`, also a `name` with invisible or bidirectional-formatting characters), arguments that do not match the workflow's `argsSchema` or would make a YAML step's command line too long for Linux (`invalid_args`, each problem in `details`), or a workflow file that does not load (`invalid_definition`). */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description No valid token. */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description No such project the caller may see, or no such definition in it. */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description The project's folder is not on this node and no live engine node has it (`node_unavailable`). */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description The data directory's disk is full (`insufficient_storage`); nothing was recorded. */
            507: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
        };
    };
    get_board: {
        parameters: {
            query?: {
                /** @description Only this project's runs. */
                project_id?: string;
                /** @description Only runs with this status. */
                status?: components["schemas"]["RunStatus"];
                /** @description Only runs of this definition. */
                workflow_definition_id?: string;
                /**
                 * @description Runs whose name, id, an argument value, error text, or a step's name, key or error
                 *     text contains this (case-insensitive).
                 */
                q?: string;
                /** @description Only runs created at or after this time (RFC 3339, or a date `YYYY-MM-DD`, UTC). */
                created_after?: string;
                /** @description Only runs created before this time (RFC 3339, or a date: before that day starts). */
                created_before?: string;
                /**
                 * @description One board column's runs (`__pending`, a phase or `__done` with
                 *     `workflow_definition_id`; a status without): a column's `next_cursor` pages it.
                 */
                column?: string;
                /** @description Runs per page. */
                limit?: number;
                /** @description The `next_cursor` of the previous page. */
                cursor?: string;
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The board. */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Board"];
                };
            };
            /** @description A filter out of range, or `project_id` missing (`invalid_query`). */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description No valid token. */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description No such project or definition the caller may see. */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
        };
    };
    get_run: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description The run's id. */
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The run. */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Data_RunDetail"];
                };
            };
            /** @description No valid token. */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description No such run the caller may see. */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
        };
    };
    pause_run: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description The run's id. */
                id: string;
            };
            cookie?: never;
        };
        /** @description Optional: `{ "now": true }` pauses now. */
        requestBody?: {
            content: {
                "application/json": components["schemas"]["PauseBody"] | null;
            };
        };
        responses: {
            /** @description The run's status after the request. */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Data_PauseResult"];
                };
            };
            /** @description The body is not `{ "now": boolean }` (`invalid_body`, naming the field). */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description No valid token. */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description No such run the caller may see. */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description The run is not running (`invalid_state`, with `current_status`). */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
        };
    };
    resume_run: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description The run's id. */
                id: string;
            };
            cookie?: never;
        };
        /** @description Optional: `{ "use_current": true }`, `{ "rerun_step": "build" }`. */
        requestBody?: {
            content: {
                "application/json": components["schemas"]["ResumeBody"] | null;
            };
        };
        responses: {
            /** @description The run's status after the request. */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Data_ResumeResult"];
                };
            };
            /** @description A body problem, or a `rerun_step` the run does not have (`invalid_body`, naming the field). */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description No valid token. */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description No such run the caller may see. */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description The run is neither paused nor failed: already queued (`pending`), running or ended (`invalid_state`, with `current_status`); or its TypeScript source changed since it started (`source_changed`, each changed file in `details`). */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description Neither the run's node nor any other live engine node with the project's folder can be reached (`node_unavailable`). */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
        };
    };
    cancel_run: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description The run's id. */
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The run's status after the request. */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Data_CancelResult"];
                };
            };
            /** @description No valid token. */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description No such run the caller may see. */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description The run has already ended (`invalid_state`, with `current_status`). */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
        };
    };
    raise_budget: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description The run's id. */
                id: string;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["RaiseBudget"];
            };
        };
        responses: {
            /** @description The run with its new budget; one a limit stopped has no `budget_stop` any more and is woken at once (the server's waker drives it again). */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Data_Run"];
                };
            };
            /** @description A limit that is not a positive number, or an unknown key (`invalid_body`). */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description No valid token. */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description No such run the caller may see. */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description The run has ended, or the new budget is still reached by what was spent. */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
        };
    };
    rerun_run: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description The run's id. */
                id: string;
            };
            cookie?: never;
        };
        /** @description Optional: `{ "from_step_id": "build", "args": {...} }`. */
        requestBody?: {
            content: {
                "application/json": components["schemas"]["RerunBody"] | null;
            };
        };
        responses: {
            /** @description The new run, `pending` or already `running`. */
            201: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Data_Run"];
                };
            };
            /** @description A body problem or a `from_step_id` the run does not have (`invalid_body`, naming the field), arguments that do not match the `argsSchema` (`invalid_args`), or a workflow file that no longer loads (`invalid_definition`). */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description No valid token. */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description No such run the caller may see. */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description Neither the run's node nor any other live engine node with the project's folder can be reached (`node_unavailable`). */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description The data directory's disk is full (`insufficient_storage`). */
            507: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
        };
    };
    get_step: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description The step's row id. */
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The step. */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Data_StepDetail"];
                };
            };
            /** @description No valid token. */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description No such step the caller may see. */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
        };
    };
    get_step_log: {
        parameters: {
            query?: {
                /** @description A try's number, as `Step.attempts` lists them (1 = the step's own folder). */
                attempt?: number;
            };
            header?: never;
            path: {
                /** @description The step's row id. */
                id: string;
                /** @description Which log. */
                type: components["schemas"]["LogType"];
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The log's text. */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Data_StepLog"];
                };
            };
            /** @description An unknown log type (`invalid_log_type`). */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description No valid token. */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description No such step the caller may see. */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description The run's folder is on another engine node, which cannot be reached (`node_unavailable`). */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
        };
    };
    step_diff: {
        parameters: {
            query?: {
                /** @description At most this many bytes of diff text (default 1 MiB, at most 8 MiB). */
                max_bytes?: number;
            };
            header?: never;
            path: {
                /** @description The step's row id. */
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The diff. */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Data_Diff"];
                };
            };
            /** @description A `max_bytes` out of range (`invalid_query`). */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description No valid token. */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description No such step the caller may see, or a step without a snapshot. */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description The run has no worktree (`no_workspace`). */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description The run's folder is on another engine node, which cannot be reached (`node_unavailable`). */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
        };
    };
    run_diff: {
        parameters: {
            query?: {
                /** @description `base` (default) or `last_gate`. */
                since?: "base" | "last_gate";
                /** @description At most this many bytes of diff text (default 1 MiB, at most 8 MiB). */
                max_bytes?: number;
            };
            header?: never;
            path: {
                /** @description The run's id. */
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The diff (empty when no step has changed anything yet). */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Data_Diff"];
                };
            };
            /** @description A `since` or `max_bytes` not allowed (`invalid_query`). */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description No valid token. */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description No such run the caller may see. */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description The run has no worktree, or it is not made yet (`no_workspace`). */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description The run's folder is on another engine node, which cannot be reached (`node_unavailable`). */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
        };
    };
    upload_artifact: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description The run's id. */
                id: string;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "multipart/form-data": components["schemas"]["ArtifactUpload"];
            };
        };
        responses: {
            /** @description The artifact. */
            201: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Data_Artifact"];
                };
            };
            /** @description A missing `file` or `step_id`, a `step_id` that is not a step of this run, an unknown `file_type` or field, or a body that is not multipart (`invalid_body`). */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description No valid token. */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description No such run the caller may see. */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description The file is larger than 100 MB (`payload_too_large`). */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description The run's folder is on another engine node, which cannot be reached (`node_unavailable`). */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
        };
    };
    download_artifact: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description The artifact's id. */
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The file. */
            200: {
                headers: {
                    /** @description `attachment`, with the artifact's name. */
                    "Content-Disposition"?: string;
                    /** @description The file's size in bytes. */
                    "Content-Length"?: number;
                    /** @description `nosniff`. */
                    "X-Content-Type-Options"?: string;
                    [name: string]: unknown;
                };
                content: {
                    "*/*": components["schemas"]["FileBytes"];
                };
            };
            /** @description No valid token. */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description No such artifact the caller may see, or its file is gone. */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description The run's folder is on another engine node, which cannot be reached (`node_unavailable`). */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
        };
    };
    attach_artifact: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description The artifact's id. */
                id: string;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["AttachBody"];
            };
        };
        responses: {
            /** @description The artifact. */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Data_Artifact"];
                };
            };
            /** @description A `comment_id` that is not a comment of the artifact's run, or another body problem (`invalid_body`). */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description No valid token. */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description No such artifact the caller may see. */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
        };
    };
    detach_artifact: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description The artifact's id. */
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The artifact. */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Data_Artifact"];
                };
            };
            /** @description No valid token. */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description No such artifact the caller may see. */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
        };
    };
    artifact_link: {
        parameters: {
            query?: {
                /** @description How long the link lasts, in seconds (1 to 3600; 600 when absent). */
                ttl?: number;
            };
            header?: never;
            path: {
                /** @description The artifact's id. */
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The link. */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Data_ArtifactLink"];
                };
            };
            /** @description A `ttl` outside 1..3600 (`invalid_query`). */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description No valid token. */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description No such artifact the caller may see. */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
        };
    };
    artifact_content: {
        parameters: {
            query?: {
                /** @description When the link expires, in seconds since the epoch. */
                exp?: number;
                /** @description The link's signature (hex). */
                sig?: string;
                /** @description `1`: saved as a file (`attachment`) even if the browser could show it. */
                download?: number;
            };
            header?: never;
            path: {
                /** @description The artifact's id. */
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The file. */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "*/*": components["schemas"]["FileBytes"];
                };
            };
            /** @description No `exp` or `sig`: not a signed link. */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description A signature that does not match, or a link past its `exp`. */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description No such artifact, or its file is gone. */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description The run's folder is on another engine node, which cannot be reached (`node_unavailable`). */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
        };
    };
    list_comments: {
        parameters: {
            query?: {
                /** @description Only this step's comments (its row id); empty is no filter. */
                step_id?: string;
            };
            header?: never;
            path: {
                /** @description The run's id. */
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The comments. */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Data_Vec_Comment"];
                };
            };
            /** @description A `step_id` that is not a step of this run (`invalid_query`). */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description No valid token. */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description No such run the caller may see. */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
        };
    };
    create_comment: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description The run's id. */
                id: string;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["CreateComment"];
            };
        };
        responses: {
            /** @description The comment. */
            201: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Data_Comment"];
                };
            };
            /** @description An empty text, a `comment_type` other than `user` (`system` and `agent` comments are the engine's), a `step_id` that is not a step of this run, or another body problem (`invalid_body`). */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description No valid token. */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description No such run the caller may see. */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
        };
    };
    list_secrets: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description The project's id. */
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The secrets, by name. */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Data_Vec_SecretInfo"];
                };
            };
            /** @description No valid token. */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description No such project, or not the caller's to see. */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
        };
    };
    set_secret: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description The project's id. */
                id: string;
                /** @description An environment variable's name: letters, digits and `_`, not starting with a digit. */
                name: string;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["SetSecret"];
            };
        };
        responses: {
            /** @description Replaced: its name and dates. */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Data_SecretInfo"];
                };
            };
            /** @description Created: its name and dates. */
            201: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Data_SecretInfo"];
                };
            };
            /** @description A name that is not a variable name (`invalid_secret_name`), or a bad body (`invalid_body`). */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description No valid token. */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description No such project, or not the caller's to see. */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
        };
    };
    delete_secret: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description The project's id. */
                id: string;
                /** @description The secret's name. */
                name: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Removed. */
            204: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
            /** @description No valid token. */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description No such project or secret. */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
        };
    };
    decide: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description The run's id. */
                id: string;
                /** @description The gate's step id or row id. */
                step: string;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["DecisionBody"];
            };
        };
        responses: {
            /** @description The decided gate. */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Data_Step"];
                };
            };
            /** @description A bad body (`invalid_body`) or an input that does not match the gate's form (`invalid_input`, each problem naming its field). */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description No valid token. */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description The caller is not among the gate's approvers (`forbidden`). */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description No such run the caller may see, or no such gate in it. */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description The gate is not waiting: decided already (the message says by whom), or the run has ended (`invalid_state`). */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
        };
    };
    send_signal: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description The run's id. */
                id: string;
                /** @description The signal's name. */
                name: string;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["SignalBody"];
            };
        };
        responses: {
            /** @description Recorded. */
            202: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Data_SignalSent"];
                };
            };
            /** @description A bad body or signal name. */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description No valid token. */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description No such run the caller may see. */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description The run has ended (`invalid_state`). */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
        };
    };
    list_approvals: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The gates. */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Data_Vec_PendingApproval"];
                };
            };
            /** @description No valid token. */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
        };
    };
    list_nodes: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The nodes. */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Data_Vec_NodeView"];
                };
            };
            /** @description No valid token. */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description The caller is not an admin. */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
        };
    };
    subscribe_events: {
        parameters: {
            query?: {
                /** @description Replay the journal's events after this `seq` before the live stream. */
                since?: number;
                /** @description The JWT, instead of the `Authorization` header. */
                token?: string;
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Switching protocols: the WebSocket is open and sends `WsMessage`s. */
            101: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
            /** @description Not a WebSocket upgrade request, or a `since` that is not an integer (plain text). */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "text/plain": string;
                };
            };
            /** @description No valid token, or a revoked one. */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
        };
    };
    get_openapi: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The OpenAPI document. */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": Record<string, unknown>;
                };
            };
        };
    };
}
