Feature: Bookings
  Guests hold free nights at a place, see what they will pay, and may let the hold go or cancel it.
  Hosts see the bookings on their places.

  Background:
    Given Hana is a host
    And Hana rents out "Sunny loft" in Lisbon at 100.00 a night, with a 30.00 cleaning fee and 10% off a week
    And Gus is signed in

  Scenario: A guest books free nights and is told the price
    When Gus asks the price of "Sunny loft" from 10 to 17 days from now
    Then Gus is quoted 7 nights for 630.00 after a 70.00 weekly discount
    And Gus is quoted a 30.00 cleaning fee, a 66.00 service fee and 726.00 in all
    When Gus books "Sunny loft" from 10 to 17 days from now
    Then Gus's booking costs 726.00 and awaits his payment
    And "Sunny loft" is no longer free from 10 to 17 days from now

  Scenario: Nights another guest holds cannot be booked
    Given Gus has booked "Sunny loft" from 10 to 14 days from now
    And Olga is signed in
    When Olga tries to book "Sunny loft" from 12 to 16 days from now
    Then Olga is told those dates are already taken

  Scenario: Back-to-back stays both succeed
    Given Olga is signed in
    When Gus books "Sunny loft" from 10 to 14 days from now
    And Olga books "Sunny loft" from 14 to 16 days from now
    Then the calendar of "Sunny loft" shows it taken from 10 to 16 days from now

  Scenario: A host cannot book their own place
    When Hana tries to book "Sunny loft" from 10 to 14 days from now
    Then Hana is told hosts cannot book their own place

  Scenario: An unpaid hold lapses and frees the nights
    Given Gus has booked "Sunny loft" from 10 to 14 days from now
    And Olga is signed in
    When the hold time passes without Gus paying
    Then Gus sees his booking as expired
    And Olga can book "Sunny loft" from 10 to 14 days from now

  Scenario: A guest cancels an unpaid booking
    Given Gus has booked "Sunny loft" from 10 to 14 days from now
    When Gus asks what cancelling would give back
    Then Gus is told nothing would be refunded
    When Gus cancels his booking
    Then Gus sees his booking as cancelled by the guest
    And "Sunny loft" is free again from 10 to 14 days from now
    When Gus tries to cancel his booking again
    Then Gus is told the booking can no longer be cancelled

  Scenario: Guests see their own bookings and hosts the bookings on their places
    Given Olga is signed in
    And Gus has booked "Sunny loft" from 10 to 14 days from now
    And Olga has booked "Sunny loft" from 20 to 22 days from now
    Then Gus's bookings are only his stay from 10 to 14 days from now
    And Olga's bookings are only her stay from 20 to 22 days from now
    And Hana sees both stays on her places

  Scenario Outline: A guest who cancels a paid stay gets back what the policy gives for the days left
    Given Hana rents out "Atoll hut" on Kiritimati at 100.12 a night, booked instantly with a <policy> cancellation policy
    And it is already tomorrow on Kiritimati while still today in Lisbon
    And Gus has paid 110.13 for a night at "Atoll hut" <days> days from now, as the days go on Kiritimati
    When Gus asks what cancelling would give back
    Then Gus is told <refund> would be refunded
    When Gus cancels his booking
    Then Gus sees his booking as cancelled by the guest
    And Gus gets <refund> back on his card

    Examples:
      | policy   | days | refund |
      | flexible | 1    | 110.13 |
      | flexible | 0    | 0.00   |
      | moderate | 5    | 110.13 |
      | moderate | 4    | 55.07  |
      | moderate | 1    | 55.07  |
      | moderate | 0    | 0.00   |
      | strict   | 14   | 110.13 |
      | strict   | 13   | 55.07  |
      | strict   | 7    | 55.07  |
      | strict   | 6    | 0.00   |

  Scenario Outline: A host who cancels a paid stay gives everything back, whatever the policy
    Given Hana rents out "Atoll hut" on Kiritimati at 100.12 a night, booked instantly with a <policy> cancellation policy
    And Gus has paid 110.13 for a night at "Atoll hut" 0 days from now, as the days go on Kiritimati
    When Hana asks what cancelling Gus's booking would give back
    Then Hana is told 110.13 would be refunded
    When Hana cancels Gus's booking
    Then Gus sees his booking as cancelled by the host
    And Gus gets 110.13 back on his card

    Examples:
      | policy   |
      | flexible |
      | moderate |
      | strict   |
