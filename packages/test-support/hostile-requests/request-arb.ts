import fc from 'fast-check';
import {
  arbitraryBodyCase,
  arbitraryJsonObjectCase,
  atLimitCase,
  brokenJsonCase,
  jsonNotAnObjectCase,
  notUtf8Case,
  overLimitCase,
  wrongMediaTypeCase,
} from './body-cases.ts';
import type { CaseContext, Route } from './encoding.ts';
import type { BodyCase } from './model.ts';
import {
  badCredentialCase,
  misnamedCredentialCase,
  missingGrantTypeCase,
  nonStringJsonValueCase,
  repeatedJsonMemberCase,
  repeatedParameterCase,
  wrongGrantTypeCase,
} from './parameter-cases.ts';

/**
 * Request bodies for `route`: well-formed ones carrying a bad credential, and malformed ones
 * (duplicated parameters or members, wrong JSON types, wrong or missing grant, a misnamed
 * credential, wrong media types, broken JSON, non-object JSON, bodies over 16 KiB, invalid UTF-8)
 * that carry a GENUINE credential, which must not be used. Plus arbitrary bodies.
 */
export function requestArb(
  route: Route,
  genuine: readonly string[],
  bad: fc.Arbitrary<string>,
): fc.Arbitrary<BodyCase> {
  const context: CaseContext = { route, real: fc.constantFrom(...genuine), bad };
  const cases = [
    badCredentialCase,
    repeatedParameterCase,
    repeatedJsonMemberCase,
    nonStringJsonValueCase,
    brokenJsonCase,
    jsonNotAnObjectCase,
    wrongMediaTypeCase,
    misnamedCredentialCase,
    overLimitCase,
    atLimitCase,
    notUtf8Case,
    arbitraryBodyCase,
    arbitraryJsonObjectCase,
    ...(route.name === 'token' ? [wrongGrantTypeCase, missingGrantTypeCase] : []),
  ];
  return fc.oneof(...cases.map((make) => make(context)));
}
