import { ConfigError } from '../../shared/errors.js';

/** Shortest API key accepted: 32 characters (`openssl rand -hex 24` gives 48). */
export const MIN_API_KEY_LENGTH = 32;

/** Words that mark a key as a template value someone forgot to replace (compared case-insensitively). */
const PLACEHOLDERS = ['changeme', 'change_me', 'change-me', 'example', 'placeholder', 'replace', 'your-api-key', 'your_api_key', 'secret', 'password', 'xxxxxxxx'];

/**
 * Refuses weak `OKTA_SYNC_API_KEYS` at start (exit 2 naming the variable): missing, shorter than
 * 32 characters, a known placeholder, or one repeated character. The message never quotes a key.
 */
export function checkApiKeys(keys: readonly string[]): void {
  if (keys.length === 0) throw new ConfigError('OKTA_SYNC_API_KEYS', 'is required for the API (comma separated bearer keys)');
  keys.forEach((key, index) => {
    const which = `key ${index + 1}`;
    if (key.length < MIN_API_KEY_LENGTH) {
      throw new ConfigError('OKTA_SYNC_API_KEYS', `${which} is shorter than ${MIN_API_KEY_LENGTH} characters (generate one: openssl rand -hex 24)`);
    }
    const lower = key.toLowerCase();
    if (PLACEHOLDERS.some((p) => lower.includes(p)) || new Set(key).size < 8) {
      throw new ConfigError('OKTA_SYNC_API_KEYS', `${which} is a placeholder, not a key (generate one: openssl rand -hex 24)`);
    }
  });
}
