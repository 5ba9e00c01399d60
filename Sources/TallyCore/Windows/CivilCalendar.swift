/// Proleptic Gregorian date arithmetic on day numbers (days since 1970-01-01), in
/// integers only, so calendar periods cost no Foundation call per sample.
enum CivilCalendar {
    static let microsPerDay: Int64 = 86_400_000_000

    /// The day number of year-month-day (month 1...12).
    static func dayNumber(year: Int64, month: Int64, day: Int64) -> Int64 {
        // Count years from March so that the leap day is the last day of a year.
        let y = month <= 2 ? year - 1 : year
        let era = floorDivide(y, 400)
        let yearOfEra = y - era * 400
        let shiftedMonth = month > 2 ? month - 3 : month + 9
        let dayOfYear = (153 * shiftedMonth + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        return era * 146_097 + dayOfEra - 719_468
    }

    /// The year, month (1...12) and day of a day number.
    static func date(ofDay dayNumber: Int64) -> (year: Int64, month: Int64, day: Int64) {
        let z = dayNumber + 719_468
        let era = floorDivide(z, 146_097)
        let dayOfEra = z - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let shiftedMonth = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * shiftedMonth + 2) / 5 + 1
        let month = shiftedMonth < 10 ? shiftedMonth + 3 : shiftedMonth - 9
        return (yearOfEra + era * 400 + (month <= 2 ? 1 : 0), month, day)
    }

    /// The day number of the first day of the month after the one holding `dayNumber`.
    static func firstDayOfNextMonth(after dayNumber: Int64) -> Int64 {
        let d = date(ofDay: dayNumber)
        return d.month == 12 ? self.dayNumber(year: d.year + 1, month: 1, day: 1)
                             : self.dayNumber(year: d.year, month: d.month + 1, day: 1)
    }

    static func firstDayOfMonth(containing dayNumber: Int64) -> Int64 {
        let d = date(ofDay: dayNumber)
        return self.dayNumber(year: d.year, month: d.month, day: 1)
    }
}
