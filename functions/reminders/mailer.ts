// Placeholder: implemented in this next commits.
export const handler = async (): Promise<void> => {};
