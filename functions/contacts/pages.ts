// placeholder: issue 8 in progress
export const handler = async () => ({ statusCode: 404, headers: {}, body: '' });
