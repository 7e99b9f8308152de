Feature: Search
  Guests find places by where, when, for how many and for how much.

  Background:
    Given Hana is a host
    And Hana has listed these places:
      | title          | city  | price  | guests | amenities     | instant book |
      | Harbour studio | Porto | 60.00  | 2      | wifi          | no           |
      | River house    | Porto | 180.00 | 6      | wifi, kitchen | yes          |
      | Old town flat  | Porto | 95.00  | 4      | kitchen       | no           |
      | Beach hut      | Faro  | 70.00  | 2      | wifi          | yes          |

  Scenario: Places in a city, cheapest first
    When a guest searches Porto sorted by price from low to high
    Then they see "Harbour studio", "Old town flat" and "River house" in that order

  Scenario: Places in a city, dearest first
    When a guest searches Porto sorted by price from high to low
    Then they see "River house", "Old town flat" and "Harbour studio" in that order

  Scenario: Only places big enough for the party
    When a guest searches Porto for 4 guests
    Then they see exactly "River house" and "Old town flat"

  Scenario: A price range
    When a guest searches Porto between 80.00 and 200.00 a night
    Then they see exactly "River house" and "Old town flat"

  Scenario: Every wanted amenity must be there
    When a guest searches Porto for places with wifi and kitchen
    Then they see exactly "River house"

  Scenario: Instant booking only
    When a guest searches Porto for places that can be booked instantly
    Then they see exactly "River house"

  Scenario: Booked dates hide a place
    Given "Harbour studio" is booked from 30 to 35 days from now
    When a guest searches Porto from 33 to 36 days from now
    Then they see exactly "River house" and "Old town flat"

  Scenario: A stay may start the day another ends
    Given "Harbour studio" is booked from 30 to 35 days from now
    When a guest searches Porto from 35 to 37 days from now
    Then they see exactly "Harbour studio", "River house" and "Old town flat"

  Scenario: A hold that was never paid does not hide a place
    Given "Harbour studio" was held from 30 to 35 days from now but the hold has lapsed
    When a guest searches Porto from 30 to 35 days from now
    Then they see exactly "Harbour studio", "River house" and "Old town flat"

  Scenario: Paging through results shows every place once
    When a guest pages through Porto two places at a time
    Then they see each of "Harbour studio", "River house" and "Old town flat" exactly once
