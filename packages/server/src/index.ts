// Placeholder: this package's API lands with its own issue.
export {};
