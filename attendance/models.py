"""Models arrive with this chapter's issue."""
