(function () {
  "use strict";
  var body = document.body, url = body.getAttribute("data-events");
  if (!url || !window.EventSource) return;
  var $ = function (id) { return document.getElementById(id); };
  var last = body.getAttribute("data-status"), lastRecalls = body.getAttribute("data-recalls");
  var audio = null;
  function beep() {
    try {
      if (!audio) return;
      var t = audio.currentTime;
      [0, 0.45, 0.9].forEach(function (d) {
        var o = audio.createOscillator(), g = audio.createGain();
        o.frequency.value = 880; g.gain.value = 0.25;
        o.connect(g); g.connect(audio.destination); o.start(t + d); o.stop(t + d + 0.3);
      });
    } catch (e) { /* sound is a courtesy */ }
  }
  var sound = $("sound");
  if (sound) {
    sound.hidden = false;
    sound.addEventListener("click", function () {
      try {
        var C = window.AudioContext || window.webkitAudioContext;
        if (C && !audio) audio = new C();
        if (audio && audio.resume) audio.resume();
      } catch (e) { audio = null; }
      sound.textContent = sound.getAttribute("data-on");
      sound.disabled = true;
    });
  }
  var es = new EventSource(url), live = $("live");
  es.onopen = function () { live.textContent = live.getAttribute("data-on"); live.className = "live"; };
  es.onerror = function () { live.textContent = live.getAttribute("data-off"); live.className = "live off"; };
  es.addEventListener("state", function (e) {
    var s = JSON.parse(e.data);
    $("headline").textContent = s.headline;
    $("detail").textContent = s.detail;
    $("state").className = "state " + s.tone;
    $("number").textContent = s.number;
    $("service").textContent = s.service;
    $("note").textContent = s.note || "";
    $("hint").hidden = s.status !== "waiting";
    var rate = $("rate");
    if (s.rate_url) { rate.href = s.rate_url; rate.hidden = false; } else { rate.hidden = true; }
    $("rated").hidden = !s.rated;
    var fresh = s.status === "called" && (last !== "called" || String(s.recalls) !== lastRecalls);
    if (fresh) {
      if (navigator.vibrate) { try { navigator.vibrate([500, 200, 500, 200, 500]); } catch (x) { /* not allowed */ } }
      beep();
      document.title = s.headline;
    }
    last = s.status; lastRecalls = String(s.recalls);
    body.setAttribute("data-status", s.status);
    if (s.final) es.close();
  });
})();
