// Loaded with `node --import` into a CLI child process under test: its Date reads the clock of the
// functions it talks to (their runtime's FakeClock, pinned by the test) and moves on in real time
// from there, as an operator's clock agrees with the servers'. The control API checks request
// signatures against that clock. TEST_DATE_AT: the functions' clock (epoch ms) when the child starts.
const at = Number(process.env.TEST_DATE_AT);
if (process.env.TEST_DATE_AT && Number.isFinite(at)) {
  const RealDate = Date;
  const offset = at - RealDate.now();
  class ShiftedDate extends RealDate {
    constructor(...args) {
      if (args.length === 0) super(RealDate.now() + offset);
      else super(...args);
    }
    static now() {
      return RealDate.now() + offset;
    }
  }
  globalThis.Date = ShiftedDate;
}
