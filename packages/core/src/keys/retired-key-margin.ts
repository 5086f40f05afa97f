/**
 * After the key that replaced it starts signing, a retired key stays published for the access-token
 * lifetime plus this margin: verifiers accept a token until `exp` + their clock tolerance (5 s by
 * default), and instances' clocks may disagree by a few seconds. 60 s covers both. A key is
 * deleted (by the kit a day later, or by `kit keys delete`) only once this has passed.
 *
 * @internal
 */
export const RETIRED_KEY_MARGIN_SECONDS = 60;
