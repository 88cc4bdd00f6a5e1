import type { Api, TestOrganization } from './api.js';

/** A logged-in user whose display name the test chose, so views can be compared by name. */
export type NamedUser = { id: string; email: string; name: string; api: Api };

export async function addNamedUser(organization: TestOrganization, role: 'admin' | 'staff' | 'member', name: string): Promise<NamedUser> {
  return { ...(await organization.addUser(role, { name })), name };
}

/** POST /v1/conversations, expecting 201; the conversation view with its first message's id. */
export async function startConversation(api: Api, body: Record<string, unknown>) {
  const response = await api.post('/v1/conversations', body);
  expect(response).toMatchObject({ status: 201 });
  return response.body as { id: string; firstMessageId: string; [key: string]: any };
}

/** POST /v1/conversations/:id/messages, expecting 201; the message view. */
export async function postReply(api: Api, conversationId: string, body: string, extra: Record<string, unknown> = {}) {
  const response = await api.post(`/v1/conversations/${conversationId}/messages`, { body, ...extra });
  expect(response).toMatchObject({ status: 201 });
  return response.body as { id: string; [key: string]: any };
}

/** GET /v1/conversations/:id, expecting 200; the conversation as this user may see it. */
export async function openConversation(api: Api, conversationId: string) {
  const response = await api.get(`/v1/conversations/${conversationId}`);
  expect(response).toMatchObject({ status: 200 });
  return response.body;
}
