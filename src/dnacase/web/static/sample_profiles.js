// The kit page's DNA profile section (templates/profiles/partials/sample_profiles.html):
// loaded from its data-src after the page (kept out of the page for the Content-Security-Policy).
(function () {
  var box = document.getElementById("profiles");
  fetch(box.dataset.src, {credentials: "same-origin", headers: {"accept": "text/html"}})
    .then(function (r) { return r.ok ? r.text() : Promise.reject(r.status); })
    .then(function (html) { box.querySelector(".profiles-body").innerHTML = html; box.dataset.loaded = "yes"; })
    .catch(function () { box.querySelector(".profiles-body").textContent = "—"; box.dataset.loaded = "error"; });
})();
