import { config } from '../config';
import { logoutUrl } from './pkce';
import { signOut } from './session';

/** End the session here and, on AWS, at Cognito's hosted sign-in too (its logout returns to the console). */
export function signOutEverywhere(): void {
  signOut();
  const auth = config().auth;
  if (auth.mode === 'cognito') window.location.assign(logoutUrl(auth));
}
