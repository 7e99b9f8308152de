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
