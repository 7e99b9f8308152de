Feature: Payments
  A guest pays for a booking with a card. A place booked instantly is confirmed when the card is charged;
  a request to book holds the card until the host answers, and releases it if the host says no or never answers.

  Background:
    Given Hana is a host
    And Hana rents out "Sunny loft" in Lisbon at 100.00 a night, booked instantly
    And Hana rents out "Quiet house" in Porto at 80.00 a night, on request
    And Gus is signed in

  Scenario: Paying for a place booked instantly confirms the stay
    Given Gus has booked "Sunny loft" from 10 to 13 days from now
    When Gus pays for his booking with his Visa card
    Then Gus sees his booking as confirmed
    And Gus's card is charged 330.00
    And Hana sees that Gus's card is charged 330.00

  Scenario: A request to book waits for the host, who accepts it
    Given Gus has booked "Quiet house" from 10 to 13 days from now
    When Gus pays for his booking with his Visa card
    Then Gus sees his booking as requested
    And Gus's card is held for 264.00 but not charged
    When Hana accepts Gus's booking
    Then Gus sees his booking as confirmed
    And Gus's card is charged 264.00

  Scenario: A host who turns a request down releases the guest's card
    Given Gus has booked "Quiet house" from 10 to 13 days from now
    And Gus has paid for his booking with his Visa card
    When Hana turns down Gus's booking
    Then Gus sees his booking as declined
    And Gus's card is released

  Scenario: A request the host leaves unanswered for a day lapses
    Given Gus has booked "Quiet house" from 10 to 13 days from now
    And Gus has paid for his booking with his Visa card
    When a day passes without Hana answering
    Then Gus sees his booking as expired
    And Gus's card is released
    When Hana tries to accept Gus's booking
    Then Hana is told the request can no longer be answered

  Scenario Outline: A declined card leaves the booking waiting, and another card works
    Given Gus has booked "Sunny loft" from 10 to 13 days from now
    When Gus tries to pay for his booking with <card>
    Then Gus is told his card was declined
    And Gus's booking costs 330.00 and awaits his payment
    When Gus pays for his booking with his Mastercard
    Then Gus sees his booking as confirmed

    Examples:
      | card                                 |
      | a card the bank declines             |
      | a card with too little money on it   |

  Scenario: A card whose bank wants the guest to confirm is told apart from a declined one
    Given Gus has booked "Sunny loft" from 10 to 13 days from now
    When Gus tries to pay for his booking with a card the bank wants him to confirm
    Then Gus is told his bank needs him to confirm the payment
    And Gus's booking costs 330.00 and awaits his payment

  Scenario: Only the guest can pay for a booking
    Given Olga is signed in
    And Gus has booked "Sunny loft" from 10 to 13 days from now
    When Olga tries to pay for Gus's booking with her Visa card
    Then Olga is told there is no such booking
    When Hana tries to pay for Gus's booking with her Visa card
    Then Hana is refused as not allowed
    And Gus's booking costs 330.00 and awaits his payment

  Scenario: A booking cannot be paid twice
    Given Gus has booked "Sunny loft" from 10 to 13 days from now
    And Gus has paid for his booking with his Visa card
    When Gus tries to pay for his booking with his Mastercard
    Then Gus is told the booking can no longer be paid
    And Gus's card is charged 330.00

  Scenario: A hold that has lapsed cannot be paid
    Given Gus has booked "Sunny loft" from 10 to 13 days from now
    And the hold time passes without Gus paying
    When Gus tries to pay for his booking with his Visa card
    Then Gus is told his hold on those nights has lapsed
    And Gus sees his booking as expired
