export async function logout(): Promise<number> {
  throw new Error('logout: not wired yet');
}
