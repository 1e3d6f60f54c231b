// The dispatch dashboard of qdn serve: copy buttons for tracking links.
// Everything else works without this script.
(function () {
  'use strict';
  var said = document.getElementById('copied');

  function fallbackCopy(text) {
    var area = document.createElement('textarea');
    area.value = text;
    area.setAttribute('readonly', '');
    area.className = 'visually-hidden';
    document.body.appendChild(area);
    area.select();
    var ok = false;
    try { ok = document.execCommand('copy'); } catch (e) { ok = false; }
    area.remove();
    return ok;
  }

  function copied(button, ok) {
    button.textContent = ok ? 'Copied' : 'Select and copy';
    if (said) { said.textContent = ok ? 'Tracking link copied' : 'Copying is not available; select the link instead'; }
    setTimeout(function () { button.textContent = 'Copy'; }, 1500);
  }

  document.addEventListener('click', function (e) {
    var button = e.target.closest ? e.target.closest('button.copy') : null;
    if (!button) { return; }
    var text = button.getAttribute('data-copy');
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(text).then(function () { copied(button, true); }, function () { copied(button, fallbackCopy(text)); });
    } else {
      copied(button, fallbackCopy(text));
    }
  });
})();
