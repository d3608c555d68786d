export async function login(): Promise<number> {
  throw new Error('login: not wired yet');
}
