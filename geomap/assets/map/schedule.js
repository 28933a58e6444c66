/* schedule: the page's work in tasks short enough for a phone. Lighthouse's phone has a 4x slower
 * CPU, and any task over 50 ms there delays the reader's input (total blocking time): ~12 ms here.
 * What the first paint needs runs first, each step in a task of its own; the rest waits for it. */

// ``fn`` in a task of its own, after the browser has had its turn (input, a frame, the parser):
// ahead of other queued work when ``urgent`` (scheduler.postTask where the browser has it).
function nextTask(fn, urgent) {
  if (window.scheduler && window.scheduler.postTask) window.scheduler.postTask(fn, { priority: urgent ? "user-blocking" : "user-visible" });
  else setTimeout(fn, 0);
}

// Run ``fn`` once the next frame is painted (a timer set in a frame callback fires after it).
function afterPaint(fn) { requestAnimationFrame(function () { setTimeout(fn, 0); }); }

// ``list``'s functions in order, each in its own task, then ``done``. A function that takes an
// argument is given the next step to call itself when its own (sliced) work is finished.
function steps(list, done, urgent) {
  var k = 0;
  (function step() {
    if (k === list.length) { if (done) done(); return; }
    var fn = list[k++];
    if (fn.length) fn(function () { nextTask(step, urgent); });
    else { fn(); nextTask(step, urgent); }
  })();
}
