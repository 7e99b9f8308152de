Feature: Reviews
  A guest who has stayed at a place rates it once the stay is over; the place shows its average rating
  and how many reviews it has.

  Background:
    Given Hana is a host
    And Hana rents out "Sunny loft" in Lisbon at 100.00 a night, booked instantly
    And Gus is signed in

  Scenario: A guest reviews a finished stay and the place's rating follows
    Given Gus has paid for a stay at "Sunny loft" from 2 to 4 days from now
    And 4 days have passed
    When Gus rates his stay 4 stars, saying "Bright and quiet"
    Then Gus's review of "Sunny loft" reads 4 stars, "Bright and quiet"
    And "Sunny loft" is rated 4.00 from 1 review

  Scenario: The place's rating is the exact average of its guests' ratings
    Given Olga is signed in
    And Ivan is signed in
    And Gus has paid for a stay at "Sunny loft" from 2 to 4 days from now
    And Olga has paid for a stay at "Sunny loft" from 4 to 6 days from now
    And Ivan has paid for a stay at "Sunny loft" from 6 to 8 days from now
    And 8 days have passed
    When Gus rates his stay 5 stars
    And Olga rates her stay 5 stars
    And Ivan rates his stay 4 stars
    Then "Sunny loft" is rated 4.67 from 3 reviews

  Scenario: A stay cannot be reviewed before its check-out day
    Given Gus has paid for a stay at "Sunny loft" from 2 to 4 days from now
    And 3 days have passed
    When Gus tries to rate his stay 5 stars
    Then Gus is told the stay is not over yet
    When another day passes
    And Gus rates his stay 5 stars
    Then "Sunny loft" is rated 5.00 from 1 review

  Scenario: A stay is reviewed only once
    Given Gus has paid for a stay at "Sunny loft" from 2 to 4 days from now
    And 4 days have passed
    And Gus has rated his stay 5 stars
    When Gus tries to rate his stay 1 star
    Then Gus is told he has already reviewed this stay
    And "Sunny loft" is rated 5.00 from 1 review

  Scenario: The host cannot review a guest's stay at their own place
    Given Gus has paid for a stay at "Sunny loft" from 2 to 4 days from now
    And 4 days have passed
    When Hana tries to rate Gus's stay 5 stars
    Then Hana is refused as not allowed
    And "Sunny loft" has no reviews yet

  Scenario Outline: A rating must be from one to five stars
    Given Gus has paid for a stay at "Sunny loft" from 2 to 4 days from now
    And 4 days have passed
    When Gus tries to rate his stay <rating> stars
    Then Gus is told the rating must be from 1 to 5
    And "Sunny loft" has no reviews yet

    Examples:
      | rating |
      | 0      |
      | 6      |
