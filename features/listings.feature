Feature: Listings
  Hosts put their places up for rent, keep them up to date and take them down.

  Background:
    Given Hana is a host

  Scenario: A host lists a place and anyone can see it with its host
    When Hana lists "Sunny loft" in Lisbon for 120.00 a night for up to 4 guests
    Then anyone can see "Sunny loft" with Hana as its host
    And "Sunny loft" has no reviews yet

  Scenario: Someone who is not a host cannot list a place
    Given Gus is signed in
    When Gus tries to list "Spare room" in Lisbon
    Then Gus is refused because he is not a host

  Scenario: A listing with impossible details is refused
    When Hana tries to list a place at latitude 123 for 0 guests
    Then Hana is told that "latitude" and "max_guests" are invalid

  Scenario: Only its host can change a listing
    Given Hana has listed "Sunny loft" in Lisbon
    And Olga is a host
    When Olga tries to change the price of "Sunny loft" to 50.00
    Then Olga is refused as not allowed
    When Hana changes the price of "Sunny loft" to 99.00
    Then anyone sees "Sunny loft" at 99.00 a night

  Scenario: A host takes a listing down
    Given Hana has listed "Sunny loft" in Lisbon
    When Hana takes "Sunny loft" down
    Then guests can no longer see "Sunny loft"
    And a guest searching Lisbon sees nothing

  Scenario: A listing with an upcoming stay cannot be taken down
    Given Hana has listed "Sunny loft" in Lisbon
    And "Sunny loft" is booked from 10 to 14 days from now
    When Hana tries to take "Sunny loft" down
    Then Hana is told the listing still has upcoming bookings

  Scenario: The calendar shows the nights already taken
    Given Hana has listed "Sunny loft" in Lisbon
    And "Sunny loft" is booked from 10 to 14 days from now
    And "Sunny loft" is booked from 14 to 16 days from now
    Then the calendar of "Sunny loft" shows it taken from 10 to 16 days from now
