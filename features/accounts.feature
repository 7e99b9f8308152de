Feature: Accounts
  People sign up with an email and a password, sign in to get a session, and manage their profile.
  Administrators can lock an account out.

  Scenario: A new guest signs up and signs in
    When Maria signs up with the email "maria@example.com" and the password "sunny-balcony-42"
    And Maria signs in with the email "maria@example.com" and the password "sunny-balcony-42"
    Then Maria sees her own profile with the email "maria@example.com"
    And Maria is not a host

  Scenario Outline: An email address can be used only once, however it is typed
    Given Maria has an account with the email "<registered>"
    When Tom signs up with the email "<typed>" and the password "another-secret-7"
    Then Tom is told the email is already taken

    Examples:
      | registered         | typed               |
      | maria@example.com  | MARIA@example.com   |
      | maria@example.com  | ｍａｒｉａ@example.com |
      | straße@example.com | STRASSE@example.com |

  Scenario: A wrong password and an unknown email are answered the same way
    Given Maria has an account with the email "maria@example.com"
    When Maria signs in with the email "maria@example.com" and the password "not-my-password"
    And Tom signs in with the email "tom@example.com" and the password "sunny-balcony-42"
    Then Maria and Tom are given the same refusal

  Scenario: Passwords must be long enough
    When Maria signs up with the email "maria@example.com" and the password "short"
    Then Maria is told the "password" is invalid

  Scenario: Refreshing a session hands out a new refresh token
    Given Maria is signed in
    When Maria refreshes her session
    Then Maria can still see her own profile
    And Maria's previous refresh token no longer works

  Scenario: Reusing an old refresh token ends the whole session
    Given Maria is signed in
    And Maria has refreshed her session
    When someone presents Maria's first refresh token again
    Then they are refused because the token was already used
    And Maria's newest refresh token no longer works either
    And Maria's access token no longer works

  Scenario: Signing out ends the session
    Given Maria is signed in
    When Maria signs out
    Then Maria's refresh token no longer works
    And Maria's access token no longer works

  Scenario: A guest becomes a host
    Given Maria is signed in
    When Maria chooses to become a host
    Then Maria is a host

  Scenario: Public profiles never show the email address
    Given Maria has an account with the email "maria@example.com"
    When Tom looks at Maria's public profile
    Then Tom sees Maria's name but not her email address

  Scenario: A deactivated user is locked out
    Given Maria is signed in
    And an administrator is signed in
    When the administrator deactivates Maria's account
    Then Maria can no longer sign in
    And Maria's access token no longer works
    And Maria's refresh token no longer works

  Scenario: Only administrators may deactivate accounts
    Given Maria is signed in
    And Tom is signed in
    When Tom tries to deactivate Maria's account
    Then Tom is refused as not allowed
