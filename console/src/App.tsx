import { useCallback, useState } from 'react';
import { Dashboard } from './views/Dashboard';
import { SignIn } from './views/SignIn';
import { forgetToken, storeToken, storedToken } from './session';

/** Signed out: the sign-in view; signed in: the dashboard with the token kept in sessionStorage. */
export function App() {
  const [token, setToken] = useState<string | null>(() => storedToken());
  const [notice, setNotice] = useState<string | null>(null);

  const signIn = useCallback((value: string) => {
    storeToken(value);
    setNotice(null);
    setToken(value);
  }, []);
  const signOut = useCallback((why?: string) => {
    forgetToken();
    setNotice(why ?? null);
    setToken(null);
  }, []);

  return token ? <Dashboard token={token} onSignOut={signOut} /> : <SignIn onSignIn={signIn} notice={notice} />;
}
