//! Who wrote a comment (`workflow_comments.comment_type`), what an artifact is
//! (`workflow_artifacts.file_type`) and which format a definition file is in
//! (`workflow_definitions.type`).

wire_enum! {
    /// Who wrote a comment: a user (the API), the engine, or an agent step.
    pub enum CommentType {
        User = "user",
        System = "system",
        Agent = "agent",
    }
}

wire_enum! {
    /// What an artifact is, as the board shows it.
    pub enum FileType {
        Image = "image",
        Video = "video",
        Document = "document",
        Code = "code",
        Other = "other",
    }
}

wire_enum! {
    /// Which front-end a definition came from.
    pub enum DefinitionKind {
        /// A TypeScript/JavaScript module with `export default defineWorkflow({...})`.
        Code = "code",
        /// A YAML pipeline.
        Yaml = "yaml",
    }
}
