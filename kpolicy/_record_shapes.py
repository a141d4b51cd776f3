"""The ``__init__`` code of the shapes of kpolicy's records, compiled with the package
(kpolicy.records makes each record's ``__init__`` from its shape's code). Written by
``python tools/gen_record_shapes.py``; do not edit."""


def _shape_0(self, _kpolicy_field_0, _kpolicy_field_1, _kpolicy_field_2, _kpolicy_field_3):
    self._kpolicy_field_0 = _kpolicy_field_0
    self._kpolicy_field_1 = _kpolicy_field_1
    self._kpolicy_field_2 = _kpolicy_field_2
    self._kpolicy_field_3 = __dflt_3() if _kpolicy_field_3 is __factory else _kpolicy_field_3
    self.__post_init__()


def _shape_1(self, _kpolicy_field_0, _kpolicy_field_1, _kpolicy_field_2, _kpolicy_field_3, _kpolicy_field_4, _kpolicy_field_5, _kpolicy_field_6, _kpolicy_field_7, _kpolicy_field_8):
    self._kpolicy_field_0 = _kpolicy_field_0
    self._kpolicy_field_1 = _kpolicy_field_1
    self._kpolicy_field_2 = _kpolicy_field_2
    self._kpolicy_field_3 = _kpolicy_field_3
    self._kpolicy_field_4 = _kpolicy_field_4
    self._kpolicy_field_5 = _kpolicy_field_5
    self._kpolicy_field_6 = _kpolicy_field_6
    self._kpolicy_field_7 = _kpolicy_field_7
    self._kpolicy_field_8 = _kpolicy_field_8


def _shape_2(self, _kpolicy_field_0, _kpolicy_field_1):
    __object_setattr(self, '_kpolicy_field_0', _kpolicy_field_0)
    __object_setattr(self, '_kpolicy_field_1', _kpolicy_field_1)


def _shape_3(self, _kpolicy_field_0, _kpolicy_field_1, _kpolicy_field_2):
    __object_setattr(self, '_kpolicy_field_0', _kpolicy_field_0)
    __object_setattr(self, '_kpolicy_field_1', _kpolicy_field_1)
    __object_setattr(self, '_kpolicy_field_2', _kpolicy_field_2)


def _shape_4(self, _kpolicy_field_0, _kpolicy_field_1, _kpolicy_field_2, _kpolicy_field_3):
    __object_setattr(self, '_kpolicy_field_0', _kpolicy_field_0)
    __object_setattr(self, '_kpolicy_field_1', _kpolicy_field_1)
    __object_setattr(self, '_kpolicy_field_2', _kpolicy_field_2)
    __object_setattr(self, '_kpolicy_field_3', _kpolicy_field_3)


def _shape_5(self, _kpolicy_field_0, _kpolicy_field_1, _kpolicy_field_2, _kpolicy_field_3, _kpolicy_field_4, _kpolicy_field_5):
    __object_setattr(self, '_kpolicy_field_0', _kpolicy_field_0)
    __object_setattr(self, '_kpolicy_field_1', _kpolicy_field_1)
    __object_setattr(self, '_kpolicy_field_2', _kpolicy_field_2)
    __object_setattr(self, '_kpolicy_field_3', _kpolicy_field_3)
    __object_setattr(self, '_kpolicy_field_4', _kpolicy_field_4)
    __object_setattr(self, '_kpolicy_field_5', _kpolicy_field_5)


def _shape_6(self, _kpolicy_field_0, _kpolicy_field_1, _kpolicy_field_2, _kpolicy_field_3, _kpolicy_field_4, _kpolicy_field_5, _kpolicy_field_6):
    __object_setattr(self, '_kpolicy_field_0', _kpolicy_field_0)
    __object_setattr(self, '_kpolicy_field_1', _kpolicy_field_1)
    __object_setattr(self, '_kpolicy_field_2', _kpolicy_field_2)
    __object_setattr(self, '_kpolicy_field_3', _kpolicy_field_3)
    __object_setattr(self, '_kpolicy_field_4', _kpolicy_field_4)
    __object_setattr(self, '_kpolicy_field_5', _kpolicy_field_5)
    __object_setattr(self, '_kpolicy_field_6', _kpolicy_field_6)


def _shape_7(self, _kpolicy_field_0, _kpolicy_field_1, _kpolicy_field_2, _kpolicy_field_3, _kpolicy_field_4, _kpolicy_field_5, _kpolicy_field_6, _kpolicy_field_7, _kpolicy_field_8):
    __object_setattr(self, '_kpolicy_field_0', _kpolicy_field_0)
    __object_setattr(self, '_kpolicy_field_1', _kpolicy_field_1)
    __object_setattr(self, '_kpolicy_field_2', _kpolicy_field_2)
    __object_setattr(self, '_kpolicy_field_3', __dflt_3() if _kpolicy_field_3 is __factory else _kpolicy_field_3)
    __object_setattr(self, '_kpolicy_field_4', __dflt_4() if _kpolicy_field_4 is __factory else _kpolicy_field_4)
    __object_setattr(self, '_kpolicy_field_5', _kpolicy_field_5)
    __object_setattr(self, '_kpolicy_field_6', _kpolicy_field_6)
    __object_setattr(self, '_kpolicy_field_7', _kpolicy_field_7)
    __object_setattr(self, '_kpolicy_field_8', _kpolicy_field_8)


def _shape_8(self, _kpolicy_field_0, _kpolicy_field_1, _kpolicy_field_2, _kpolicy_field_3, _kpolicy_field_4, _kpolicy_field_5, _kpolicy_field_6, _kpolicy_field_7, _kpolicy_field_8, _kpolicy_field_9, _kpolicy_field_10, _kpolicy_field_11, _kpolicy_field_12):
    __object_setattr(self, '_kpolicy_field_0', _kpolicy_field_0)
    __object_setattr(self, '_kpolicy_field_1', _kpolicy_field_1)
    __object_setattr(self, '_kpolicy_field_2', _kpolicy_field_2)
    __object_setattr(self, '_kpolicy_field_3', _kpolicy_field_3)
    __object_setattr(self, '_kpolicy_field_4', _kpolicy_field_4)
    __object_setattr(self, '_kpolicy_field_5', _kpolicy_field_5)
    __object_setattr(self, '_kpolicy_field_6', _kpolicy_field_6)
    __object_setattr(self, '_kpolicy_field_7', _kpolicy_field_7)
    __object_setattr(self, '_kpolicy_field_8', __dflt_8() if _kpolicy_field_8 is __factory else _kpolicy_field_8)
    __object_setattr(self, '_kpolicy_field_9', _kpolicy_field_9)
    __object_setattr(self, '_kpolicy_field_10', __dflt_10() if _kpolicy_field_10 is __factory else _kpolicy_field_10)
    __object_setattr(self, '_kpolicy_field_11', _kpolicy_field_11)
    __object_setattr(self, '_kpolicy_field_12', _kpolicy_field_12)


def _shape_9(self, _kpolicy_field_0, _kpolicy_field_1, _kpolicy_field_2, _kpolicy_field_3, _kpolicy_field_4, _kpolicy_field_5, _kpolicy_field_6, _kpolicy_field_7, _kpolicy_field_8, _kpolicy_field_9, _kpolicy_field_10, _kpolicy_field_11, _kpolicy_field_12, _kpolicy_field_13):
    __object_setattr(self, '_kpolicy_field_0', __dflt_0() if _kpolicy_field_0 is __factory else _kpolicy_field_0)
    __object_setattr(self, '_kpolicy_field_1', _kpolicy_field_1)
    __object_setattr(self, '_kpolicy_field_2', _kpolicy_field_2)
    __object_setattr(self, '_kpolicy_field_3', _kpolicy_field_3)
    __object_setattr(self, '_kpolicy_field_4', _kpolicy_field_4)
    __object_setattr(self, '_kpolicy_field_5', _kpolicy_field_5)
    __object_setattr(self, '_kpolicy_field_6', _kpolicy_field_6)
    __object_setattr(self, '_kpolicy_field_7', _kpolicy_field_7)
    __object_setattr(self, '_kpolicy_field_8', __dflt_8() if _kpolicy_field_8 is __factory else _kpolicy_field_8)
    __object_setattr(self, '_kpolicy_field_9', __dflt_9() if _kpolicy_field_9 is __factory else _kpolicy_field_9)
    __object_setattr(self, '_kpolicy_field_10', _kpolicy_field_10)
    __object_setattr(self, '_kpolicy_field_11', __dflt_11() if _kpolicy_field_11 is __factory else _kpolicy_field_11)
    __object_setattr(self, '_kpolicy_field_12', _kpolicy_field_12)
    __object_setattr(self, '_kpolicy_field_13', _kpolicy_field_13)


def _shape_10(self, _kpolicy_field_0, _kpolicy_field_1, _kpolicy_field_2, _kpolicy_field_3, _kpolicy_field_4, _kpolicy_field_5, _kpolicy_field_6, _kpolicy_field_7, _kpolicy_field_8, _kpolicy_field_9, _kpolicy_field_10, _kpolicy_field_11, _kpolicy_field_12, _kpolicy_field_13, _kpolicy_field_14, _kpolicy_field_15, _kpolicy_field_16, _kpolicy_field_17, _kpolicy_field_18, _kpolicy_field_19, _kpolicy_field_20, _kpolicy_field_21, _kpolicy_field_22, _kpolicy_field_23, _kpolicy_field_24):
    __object_setattr(self, '_kpolicy_field_0', _kpolicy_field_0)
    __object_setattr(self, '_kpolicy_field_1', _kpolicy_field_1)
    __object_setattr(self, '_kpolicy_field_2', _kpolicy_field_2)
    __object_setattr(self, '_kpolicy_field_3', _kpolicy_field_3)
    __object_setattr(self, '_kpolicy_field_4', _kpolicy_field_4)
    __object_setattr(self, '_kpolicy_field_5', _kpolicy_field_5)
    __object_setattr(self, '_kpolicy_field_6', _kpolicy_field_6)
    __object_setattr(self, '_kpolicy_field_7', _kpolicy_field_7)
    __object_setattr(self, '_kpolicy_field_8', _kpolicy_field_8)
    __object_setattr(self, '_kpolicy_field_9', __dflt_9() if _kpolicy_field_9 is __factory else _kpolicy_field_9)
    __object_setattr(self, '_kpolicy_field_10', _kpolicy_field_10)
    __object_setattr(self, '_kpolicy_field_11', _kpolicy_field_11)
    __object_setattr(self, '_kpolicy_field_12', _kpolicy_field_12)
    __object_setattr(self, '_kpolicy_field_13', _kpolicy_field_13)
    __object_setattr(self, '_kpolicy_field_14', _kpolicy_field_14)
    __object_setattr(self, '_kpolicy_field_15', _kpolicy_field_15)
    __object_setattr(self, '_kpolicy_field_16', _kpolicy_field_16)
    __object_setattr(self, '_kpolicy_field_17', _kpolicy_field_17)
    __object_setattr(self, '_kpolicy_field_18', _kpolicy_field_18)
    __object_setattr(self, '_kpolicy_field_19', _kpolicy_field_19)
    __object_setattr(self, '_kpolicy_field_20', _kpolicy_field_20)
    __object_setattr(self, '_kpolicy_field_21', _kpolicy_field_21)
    __object_setattr(self, '_kpolicy_field_22', _kpolicy_field_22)
    __object_setattr(self, '_kpolicy_field_23', _kpolicy_field_23)
    __object_setattr(self, '_kpolicy_field_24', _kpolicy_field_24)


def _shape_11(self, _kpolicy_field_0, _kpolicy_field_1, _kpolicy_field_2, _kpolicy_field_3, _kpolicy_field_4, _kpolicy_field_5, _kpolicy_field_6, _kpolicy_field_7, _kpolicy_field_8, _kpolicy_field_9, _kpolicy_field_10, _kpolicy_field_11, _kpolicy_field_12, _kpolicy_field_13, _kpolicy_field_14, _kpolicy_field_15, _kpolicy_field_16, _kpolicy_field_17, _kpolicy_field_18, _kpolicy_field_19, _kpolicy_field_20, _kpolicy_field_21, _kpolicy_field_22, _kpolicy_field_23, _kpolicy_field_24, _kpolicy_field_25, _kpolicy_field_26):
    __object_setattr(self, '_kpolicy_field_0', _kpolicy_field_0)
    __object_setattr(self, '_kpolicy_field_1', _kpolicy_field_1)
    __object_setattr(self, '_kpolicy_field_2', _kpolicy_field_2)
    __object_setattr(self, '_kpolicy_field_3', _kpolicy_field_3)
    __object_setattr(self, '_kpolicy_field_4', _kpolicy_field_4)
    __object_setattr(self, '_kpolicy_field_5', _kpolicy_field_5)
    __object_setattr(self, '_kpolicy_field_6', _kpolicy_field_6)
    __object_setattr(self, '_kpolicy_field_7', _kpolicy_field_7)
    __object_setattr(self, '_kpolicy_field_8', _kpolicy_field_8)
    __object_setattr(self, '_kpolicy_field_9', __dflt_9() if _kpolicy_field_9 is __factory else _kpolicy_field_9)
    __object_setattr(self, '_kpolicy_field_10', _kpolicy_field_10)
    __object_setattr(self, '_kpolicy_field_11', _kpolicy_field_11)
    __object_setattr(self, '_kpolicy_field_12', _kpolicy_field_12)
    __object_setattr(self, '_kpolicy_field_13', _kpolicy_field_13)
    __object_setattr(self, '_kpolicy_field_14', _kpolicy_field_14)
    __object_setattr(self, '_kpolicy_field_15', _kpolicy_field_15)
    __object_setattr(self, '_kpolicy_field_16', _kpolicy_field_16)
    __object_setattr(self, '_kpolicy_field_17', _kpolicy_field_17)
    __object_setattr(self, '_kpolicy_field_18', _kpolicy_field_18)
    __object_setattr(self, '_kpolicy_field_19', _kpolicy_field_19)
    __object_setattr(self, '_kpolicy_field_20', _kpolicy_field_20)
    __object_setattr(self, '_kpolicy_field_21', _kpolicy_field_21)
    __object_setattr(self, '_kpolicy_field_22', _kpolicy_field_22)
    __object_setattr(self, '_kpolicy_field_23', _kpolicy_field_23)
    __object_setattr(self, '_kpolicy_field_24', __dflt_24() if _kpolicy_field_24 is __factory else _kpolicy_field_24)
    __object_setattr(self, '_kpolicy_field_25', _kpolicy_field_25)
    __object_setattr(self, '_kpolicy_field_26', _kpolicy_field_26)


def _shape_12(self, _kpolicy_field_0, _kpolicy_field_1, _kpolicy_field_2, _kpolicy_field_3, _kpolicy_field_4, _kpolicy_field_5, _kpolicy_field_6, _kpolicy_field_7, _kpolicy_field_8, _kpolicy_field_9, _kpolicy_field_10, _kpolicy_field_11, _kpolicy_field_12, _kpolicy_field_13, _kpolicy_field_14, _kpolicy_field_15, _kpolicy_field_16, _kpolicy_field_17, _kpolicy_field_18, _kpolicy_field_19, _kpolicy_field_20, _kpolicy_field_21, _kpolicy_field_22, _kpolicy_field_23, _kpolicy_field_24, _kpolicy_field_25, _kpolicy_field_26, _kpolicy_field_27, _kpolicy_field_28, _kpolicy_field_29, _kpolicy_field_30, _kpolicy_field_31):
    __object_setattr(self, '_kpolicy_field_0', _kpolicy_field_0)
    __object_setattr(self, '_kpolicy_field_1', _kpolicy_field_1)
    __object_setattr(self, '_kpolicy_field_2', _kpolicy_field_2)
    __object_setattr(self, '_kpolicy_field_3', _kpolicy_field_3)
    __object_setattr(self, '_kpolicy_field_4', _kpolicy_field_4)
    __object_setattr(self, '_kpolicy_field_5', _kpolicy_field_5)
    __object_setattr(self, '_kpolicy_field_6', _kpolicy_field_6)
    __object_setattr(self, '_kpolicy_field_7', _kpolicy_field_7)
    __object_setattr(self, '_kpolicy_field_8', _kpolicy_field_8)
    __object_setattr(self, '_kpolicy_field_9', _kpolicy_field_9)
    __object_setattr(self, '_kpolicy_field_10', _kpolicy_field_10)
    __object_setattr(self, '_kpolicy_field_11', _kpolicy_field_11)
    __object_setattr(self, '_kpolicy_field_12', _kpolicy_field_12)
    __object_setattr(self, '_kpolicy_field_13', _kpolicy_field_13)
    __object_setattr(self, '_kpolicy_field_14', _kpolicy_field_14)
    __object_setattr(self, '_kpolicy_field_15', _kpolicy_field_15)
    __object_setattr(self, '_kpolicy_field_16', _kpolicy_field_16)
    __object_setattr(self, '_kpolicy_field_17', _kpolicy_field_17)
    __object_setattr(self, '_kpolicy_field_18', _kpolicy_field_18)
    __object_setattr(self, '_kpolicy_field_19', _kpolicy_field_19)
    __object_setattr(self, '_kpolicy_field_20', _kpolicy_field_20)
    __object_setattr(self, '_kpolicy_field_21', _kpolicy_field_21)
    __object_setattr(self, '_kpolicy_field_22', _kpolicy_field_22)
    __object_setattr(self, '_kpolicy_field_23', _kpolicy_field_23)
    __object_setattr(self, '_kpolicy_field_24', _kpolicy_field_24)
    __object_setattr(self, '_kpolicy_field_25', _kpolicy_field_25)
    __object_setattr(self, '_kpolicy_field_26', _kpolicy_field_26)
    __object_setattr(self, '_kpolicy_field_27', _kpolicy_field_27)
    __object_setattr(self, '_kpolicy_field_28', _kpolicy_field_28)
    __object_setattr(self, '_kpolicy_field_29', _kpolicy_field_29)
    __object_setattr(self, '_kpolicy_field_30', _kpolicy_field_30)
    __object_setattr(self, '_kpolicy_field_31', _kpolicy_field_31)


def _shape_13(self, _kpolicy_field_0, _kpolicy_field_1):
    __set_0(self, _kpolicy_field_0)
    __set_1(self, _kpolicy_field_1)


def _shape_14(self, _kpolicy_field_0, _kpolicy_field_1, _kpolicy_field_2):
    __set_0(self, _kpolicy_field_0)
    __set_1(self, _kpolicy_field_1)
    __set_2(self, _kpolicy_field_2)


def _shape_15(self, _kpolicy_field_0, _kpolicy_field_1, _kpolicy_field_2, _kpolicy_field_3):
    __set_0(self, _kpolicy_field_0)
    __set_1(self, _kpolicy_field_1)
    __set_2(self, _kpolicy_field_2)
    __set_3(self, _kpolicy_field_3)


def _shape_16(self, _kpolicy_field_0, _kpolicy_field_1, _kpolicy_field_2, _kpolicy_field_3):
    __set_0(self, _kpolicy_field_0)
    __set_1(self, _kpolicy_field_1)
    __set_2(self, _kpolicy_field_2)
    __set_3(self, _kpolicy_field_3)
    self.__post_init__()


def _shape_17(self, _kpolicy_field_0, _kpolicy_field_1, _kpolicy_field_2, _kpolicy_field_3):
    __set_0(self, _kpolicy_field_0)
    __set_1(self, _kpolicy_field_1)
    __set_2(self, __dflt_2() if _kpolicy_field_2 is __factory else _kpolicy_field_2)
    __set_3(self, _kpolicy_field_3)


def _shape_18(self, _kpolicy_field_0, _kpolicy_field_1, _kpolicy_field_2, _kpolicy_field_3, _kpolicy_field_4):
    __set_0(self, _kpolicy_field_0)
    __set_1(self, _kpolicy_field_1)
    __set_2(self, _kpolicy_field_2)
    __set_3(self, _kpolicy_field_3)
    __set_4(self, _kpolicy_field_4)


def _shape_19(self, _kpolicy_field_0, _kpolicy_field_1, _kpolicy_field_2, _kpolicy_field_3, _kpolicy_field_4, _kpolicy_field_5):
    __set_0(self, _kpolicy_field_0)
    __set_1(self, _kpolicy_field_1)
    __set_2(self, _kpolicy_field_2)
    __set_3(self, _kpolicy_field_3)
    __set_4(self, _kpolicy_field_4)
    __set_5(self, _kpolicy_field_5)


def _shape_20(self, _kpolicy_field_0, _kpolicy_field_1, _kpolicy_field_2, _kpolicy_field_3, _kpolicy_field_4, _kpolicy_field_5, _kpolicy_field_6):
    __set_0(self, _kpolicy_field_0)
    __set_1(self, _kpolicy_field_1)
    __set_2(self, _kpolicy_field_2)
    __set_3(self, _kpolicy_field_3)
    __set_4(self, _kpolicy_field_4)
    __set_5(self, _kpolicy_field_5)
    __set_6(self, _kpolicy_field_6)


def _shape_21(self, _kpolicy_field_0, _kpolicy_field_1, _kpolicy_field_2, _kpolicy_field_3, _kpolicy_field_4, _kpolicy_field_5, _kpolicy_field_6, _kpolicy_field_7):
    __set_0(self, _kpolicy_field_0)
    __set_1(self, _kpolicy_field_1)
    __set_2(self, _kpolicy_field_2)
    __set_3(self, _kpolicy_field_3)
    __set_4(self, _kpolicy_field_4)
    __set_5(self, _kpolicy_field_5)
    __set_6(self, _kpolicy_field_6)
    __set_7(self, _kpolicy_field_7)


def _shape_22(self, _kpolicy_field_0, _kpolicy_field_1, _kpolicy_field_2, _kpolicy_field_3, _kpolicy_field_4, _kpolicy_field_5, _kpolicy_field_6, _kpolicy_field_7, _kpolicy_field_8):
    __set_0(self, _kpolicy_field_0)
    __set_1(self, _kpolicy_field_1)
    __set_2(self, _kpolicy_field_2)
    __set_3(self, _kpolicy_field_3)
    __set_4(self, _kpolicy_field_4)
    __set_5(self, _kpolicy_field_5)
    __set_6(self, _kpolicy_field_6)
    __set_7(self, _kpolicy_field_7)
    __set_8(self, _kpolicy_field_8)


def _shape_23(self, _kpolicy_field_0, _kpolicy_field_1, _kpolicy_field_2, _kpolicy_field_3, _kpolicy_field_4, _kpolicy_field_5, _kpolicy_field_6, _kpolicy_field_7, _kpolicy_field_8, _kpolicy_field_9):
    __set_0(self, _kpolicy_field_0)
    __set_1(self, _kpolicy_field_1)
    __set_2(self, _kpolicy_field_2)
    __set_3(self, _kpolicy_field_3)
    __set_4(self, _kpolicy_field_4)
    __set_5(self, _kpolicy_field_5)
    __set_6(self, _kpolicy_field_6)
    __set_7(self, _kpolicy_field_7)
    __set_8(self, _kpolicy_field_8)
    __set_9(self, _kpolicy_field_9)


def _shape_24(self, _kpolicy_field_0, _kpolicy_field_1, _kpolicy_field_2, _kpolicy_field_3, _kpolicy_field_4, _kpolicy_field_5, _kpolicy_field_6, _kpolicy_field_7, _kpolicy_field_8, _kpolicy_field_9, _kpolicy_field_10):
    __set_0(self, _kpolicy_field_0)
    __set_1(self, _kpolicy_field_1)
    __set_2(self, _kpolicy_field_2)
    __set_3(self, _kpolicy_field_3)
    __set_4(self, _kpolicy_field_4)
    __set_5(self, _kpolicy_field_5)
    __set_6(self, _kpolicy_field_6)
    __set_7(self, _kpolicy_field_7)
    __set_8(self, _kpolicy_field_8)
    __set_9(self, _kpolicy_field_9)
    __set_10(self, _kpolicy_field_10)


def _shape_25(self, _kpolicy_field_0, _kpolicy_field_1, _kpolicy_field_2, _kpolicy_field_3, _kpolicy_field_4, _kpolicy_field_5, _kpolicy_field_6, _kpolicy_field_7, _kpolicy_field_8, _kpolicy_field_9, _kpolicy_field_10, _kpolicy_field_11, _kpolicy_field_12):
    __set_0(self, _kpolicy_field_0)
    __set_1(self, _kpolicy_field_1)
    __set_2(self, _kpolicy_field_2)
    __set_3(self, _kpolicy_field_3)
    __set_4(self, _kpolicy_field_4)
    __set_5(self, _kpolicy_field_5)
    __set_6(self, _kpolicy_field_6)
    __set_7(self, _kpolicy_field_7)
    __set_8(self, _kpolicy_field_8)
    __set_9(self, _kpolicy_field_9)
    __set_10(self, _kpolicy_field_10)
    __set_11(self, _kpolicy_field_11)
    __set_12(self, _kpolicy_field_12)


def _shape_26(self, _kpolicy_field_0, _kpolicy_field_1, _kpolicy_field_2, _kpolicy_field_3, _kpolicy_field_4, _kpolicy_field_5, _kpolicy_field_6, _kpolicy_field_7, _kpolicy_field_8, _kpolicy_field_9, _kpolicy_field_10, _kpolicy_field_11, _kpolicy_field_12, _kpolicy_field_13, _kpolicy_field_14, _kpolicy_field_15):
    __set_0(self, _kpolicy_field_0)
    __set_1(self, _kpolicy_field_1)
    __set_2(self, _kpolicy_field_2)
    __set_3(self, _kpolicy_field_3)
    __set_4(self, _kpolicy_field_4)
    __set_5(self, _kpolicy_field_5)
    __set_6(self, _kpolicy_field_6)
    __set_7(self, _kpolicy_field_7)
    __set_8(self, _kpolicy_field_8)
    __set_9(self, _kpolicy_field_9)
    __set_10(self, _kpolicy_field_10)
    __set_11(self, _kpolicy_field_11)
    __set_12(self, _kpolicy_field_12)
    __set_13(self, _kpolicy_field_13)
    __set_14(self, _kpolicy_field_14)
    __set_15(self, _kpolicy_field_15)


def _shape_27(self, _kpolicy_field_0, _kpolicy_field_1, _kpolicy_field_2, _kpolicy_field_3):
    if self.__class__ is not __cls:  # a subclass's instance
        return __by_setters(self, _kpolicy_field_0, _kpolicy_field_1, _kpolicy_field_2, _kpolicy_field_3)
    __set_class(self, __open)
    self._kpolicy_field_0 = _kpolicy_field_0
    self._kpolicy_field_1 = _kpolicy_field_1
    self._kpolicy_field_2 = _kpolicy_field_2
    self._kpolicy_field_3 = _kpolicy_field_3
    self.__class__ = __cls


def _shape_28(self, _kpolicy_field_0, _kpolicy_field_1, _kpolicy_field_2, _kpolicy_field_3):
    if self.__class__ is not __cls:  # a subclass's instance
        return __by_setters(self, _kpolicy_field_0, _kpolicy_field_1, _kpolicy_field_2, _kpolicy_field_3)
    __set_class(self, __open)
    self._kpolicy_field_0 = _kpolicy_field_0
    self._kpolicy_field_1 = _kpolicy_field_1
    self._kpolicy_field_2 = _kpolicy_field_2
    self._kpolicy_field_3 = _kpolicy_field_3
    self.__class__ = __cls
    self.__post_init__()


def _shape_29(self, _kpolicy_field_0, _kpolicy_field_1, _kpolicy_field_2, _kpolicy_field_3):
    if self.__class__ is not __cls:  # a subclass's instance
        return __by_setters(self, _kpolicy_field_0, _kpolicy_field_1, _kpolicy_field_2, _kpolicy_field_3)
    __set_class(self, __open)
    self._kpolicy_field_0 = _kpolicy_field_0
    self._kpolicy_field_1 = _kpolicy_field_1
    self._kpolicy_field_2 = __dflt_2() if _kpolicy_field_2 is __factory else _kpolicy_field_2
    self._kpolicy_field_3 = _kpolicy_field_3
    self.__class__ = __cls


def _shape_30(self, _kpolicy_field_0, _kpolicy_field_1, _kpolicy_field_2, _kpolicy_field_3, _kpolicy_field_4):
    if self.__class__ is not __cls:  # a subclass's instance
        return __by_setters(self, _kpolicy_field_0, _kpolicy_field_1, _kpolicy_field_2, _kpolicy_field_3, _kpolicy_field_4)
    __set_class(self, __open)
    self._kpolicy_field_0 = _kpolicy_field_0
    self._kpolicy_field_1 = _kpolicy_field_1
    self._kpolicy_field_2 = _kpolicy_field_2
    self._kpolicy_field_3 = _kpolicy_field_3
    self._kpolicy_field_4 = _kpolicy_field_4
    self.__class__ = __cls


def _shape_31(self, _kpolicy_field_0, _kpolicy_field_1, _kpolicy_field_2, _kpolicy_field_3, _kpolicy_field_4, _kpolicy_field_5):
    if self.__class__ is not __cls:  # a subclass's instance
        return __by_setters(self, _kpolicy_field_0, _kpolicy_field_1, _kpolicy_field_2, _kpolicy_field_3, _kpolicy_field_4, _kpolicy_field_5)
    __set_class(self, __open)
    self._kpolicy_field_0 = _kpolicy_field_0
    self._kpolicy_field_1 = _kpolicy_field_1
    self._kpolicy_field_2 = _kpolicy_field_2
    self._kpolicy_field_3 = _kpolicy_field_3
    self._kpolicy_field_4 = _kpolicy_field_4
    self._kpolicy_field_5 = _kpolicy_field_5
    self.__class__ = __cls


def _shape_32(self, _kpolicy_field_0, _kpolicy_field_1, _kpolicy_field_2, _kpolicy_field_3, _kpolicy_field_4, _kpolicy_field_5, _kpolicy_field_6):
    if self.__class__ is not __cls:  # a subclass's instance
        return __by_setters(self, _kpolicy_field_0, _kpolicy_field_1, _kpolicy_field_2, _kpolicy_field_3, _kpolicy_field_4, _kpolicy_field_5, _kpolicy_field_6)
    __set_class(self, __open)
    self._kpolicy_field_0 = _kpolicy_field_0
    self._kpolicy_field_1 = _kpolicy_field_1
    self._kpolicy_field_2 = _kpolicy_field_2
    self._kpolicy_field_3 = _kpolicy_field_3
    self._kpolicy_field_4 = _kpolicy_field_4
    self._kpolicy_field_5 = _kpolicy_field_5
    self._kpolicy_field_6 = _kpolicy_field_6
    self.__class__ = __cls


def _shape_33(self, _kpolicy_field_0, _kpolicy_field_1, _kpolicy_field_2, _kpolicy_field_3, _kpolicy_field_4, _kpolicy_field_5, _kpolicy_field_6, _kpolicy_field_7):
    if self.__class__ is not __cls:  # a subclass's instance
        return __by_setters(self, _kpolicy_field_0, _kpolicy_field_1, _kpolicy_field_2, _kpolicy_field_3, _kpolicy_field_4, _kpolicy_field_5, _kpolicy_field_6, _kpolicy_field_7)
    __set_class(self, __open)
    self._kpolicy_field_0 = _kpolicy_field_0
    self._kpolicy_field_1 = _kpolicy_field_1
    self._kpolicy_field_2 = _kpolicy_field_2
    self._kpolicy_field_3 = _kpolicy_field_3
    self._kpolicy_field_4 = _kpolicy_field_4
    self._kpolicy_field_5 = _kpolicy_field_5
    self._kpolicy_field_6 = _kpolicy_field_6
    self._kpolicy_field_7 = _kpolicy_field_7
    self.__class__ = __cls


def _shape_34(self, _kpolicy_field_0, _kpolicy_field_1, _kpolicy_field_2, _kpolicy_field_3, _kpolicy_field_4, _kpolicy_field_5, _kpolicy_field_6, _kpolicy_field_7, _kpolicy_field_8):
    if self.__class__ is not __cls:  # a subclass's instance
        return __by_setters(self, _kpolicy_field_0, _kpolicy_field_1, _kpolicy_field_2, _kpolicy_field_3, _kpolicy_field_4, _kpolicy_field_5, _kpolicy_field_6, _kpolicy_field_7, _kpolicy_field_8)
    __set_class(self, __open)
    self._kpolicy_field_0 = _kpolicy_field_0
    self._kpolicy_field_1 = _kpolicy_field_1
    self._kpolicy_field_2 = _kpolicy_field_2
    self._kpolicy_field_3 = _kpolicy_field_3
    self._kpolicy_field_4 = _kpolicy_field_4
    self._kpolicy_field_5 = _kpolicy_field_5
    self._kpolicy_field_6 = _kpolicy_field_6
    self._kpolicy_field_7 = _kpolicy_field_7
    self._kpolicy_field_8 = _kpolicy_field_8
    self.__class__ = __cls


def _shape_35(self, _kpolicy_field_0, _kpolicy_field_1, _kpolicy_field_2, _kpolicy_field_3, _kpolicy_field_4, _kpolicy_field_5, _kpolicy_field_6, _kpolicy_field_7, _kpolicy_field_8, _kpolicy_field_9):
    if self.__class__ is not __cls:  # a subclass's instance
        return __by_setters(self, _kpolicy_field_0, _kpolicy_field_1, _kpolicy_field_2, _kpolicy_field_3, _kpolicy_field_4, _kpolicy_field_5, _kpolicy_field_6, _kpolicy_field_7, _kpolicy_field_8, _kpolicy_field_9)
    __set_class(self, __open)
    self._kpolicy_field_0 = _kpolicy_field_0
    self._kpolicy_field_1 = _kpolicy_field_1
    self._kpolicy_field_2 = _kpolicy_field_2
    self._kpolicy_field_3 = _kpolicy_field_3
    self._kpolicy_field_4 = _kpolicy_field_4
    self._kpolicy_field_5 = _kpolicy_field_5
    self._kpolicy_field_6 = _kpolicy_field_6
    self._kpolicy_field_7 = _kpolicy_field_7
    self._kpolicy_field_8 = _kpolicy_field_8
    self._kpolicy_field_9 = _kpolicy_field_9
    self.__class__ = __cls


def _shape_36(self, _kpolicy_field_0, _kpolicy_field_1, _kpolicy_field_2, _kpolicy_field_3, _kpolicy_field_4, _kpolicy_field_5, _kpolicy_field_6, _kpolicy_field_7, _kpolicy_field_8, _kpolicy_field_9, _kpolicy_field_10):
    if self.__class__ is not __cls:  # a subclass's instance
        return __by_setters(self, _kpolicy_field_0, _kpolicy_field_1, _kpolicy_field_2, _kpolicy_field_3, _kpolicy_field_4, _kpolicy_field_5, _kpolicy_field_6, _kpolicy_field_7, _kpolicy_field_8, _kpolicy_field_9, _kpolicy_field_10)
    __set_class(self, __open)
    self._kpolicy_field_0 = _kpolicy_field_0
    self._kpolicy_field_1 = _kpolicy_field_1
    self._kpolicy_field_2 = _kpolicy_field_2
    self._kpolicy_field_3 = _kpolicy_field_3
    self._kpolicy_field_4 = _kpolicy_field_4
    self._kpolicy_field_5 = _kpolicy_field_5
    self._kpolicy_field_6 = _kpolicy_field_6
    self._kpolicy_field_7 = _kpolicy_field_7
    self._kpolicy_field_8 = _kpolicy_field_8
    self._kpolicy_field_9 = _kpolicy_field_9
    self._kpolicy_field_10 = _kpolicy_field_10
    self.__class__ = __cls


def _shape_37(self, _kpolicy_field_0, _kpolicy_field_1, _kpolicy_field_2, _kpolicy_field_3, _kpolicy_field_4, _kpolicy_field_5, _kpolicy_field_6, _kpolicy_field_7, _kpolicy_field_8, _kpolicy_field_9, _kpolicy_field_10, _kpolicy_field_11, _kpolicy_field_12):
    if self.__class__ is not __cls:  # a subclass's instance
        return __by_setters(self, _kpolicy_field_0, _kpolicy_field_1, _kpolicy_field_2, _kpolicy_field_3, _kpolicy_field_4, _kpolicy_field_5, _kpolicy_field_6, _kpolicy_field_7, _kpolicy_field_8, _kpolicy_field_9, _kpolicy_field_10, _kpolicy_field_11, _kpolicy_field_12)
    __set_class(self, __open)
    self._kpolicy_field_0 = _kpolicy_field_0
    self._kpolicy_field_1 = _kpolicy_field_1
    self._kpolicy_field_2 = _kpolicy_field_2
    self._kpolicy_field_3 = _kpolicy_field_3
    self._kpolicy_field_4 = _kpolicy_field_4
    self._kpolicy_field_5 = _kpolicy_field_5
    self._kpolicy_field_6 = _kpolicy_field_6
    self._kpolicy_field_7 = _kpolicy_field_7
    self._kpolicy_field_8 = _kpolicy_field_8
    self._kpolicy_field_9 = _kpolicy_field_9
    self._kpolicy_field_10 = _kpolicy_field_10
    self._kpolicy_field_11 = _kpolicy_field_11
    self._kpolicy_field_12 = _kpolicy_field_12
    self.__class__ = __cls


def _shape_38(self, _kpolicy_field_0, _kpolicy_field_1, _kpolicy_field_2, _kpolicy_field_3, _kpolicy_field_4, _kpolicy_field_5, _kpolicy_field_6, _kpolicy_field_7, _kpolicy_field_8, _kpolicy_field_9, _kpolicy_field_10, _kpolicy_field_11, _kpolicy_field_12, _kpolicy_field_13, _kpolicy_field_14, _kpolicy_field_15):
    if self.__class__ is not __cls:  # a subclass's instance
        return __by_setters(self, _kpolicy_field_0, _kpolicy_field_1, _kpolicy_field_2, _kpolicy_field_3, _kpolicy_field_4, _kpolicy_field_5, _kpolicy_field_6, _kpolicy_field_7, _kpolicy_field_8, _kpolicy_field_9, _kpolicy_field_10, _kpolicy_field_11, _kpolicy_field_12, _kpolicy_field_13, _kpolicy_field_14, _kpolicy_field_15)
    __set_class(self, __open)
    self._kpolicy_field_0 = _kpolicy_field_0
    self._kpolicy_field_1 = _kpolicy_field_1
    self._kpolicy_field_2 = _kpolicy_field_2
    self._kpolicy_field_3 = _kpolicy_field_3
    self._kpolicy_field_4 = _kpolicy_field_4
    self._kpolicy_field_5 = _kpolicy_field_5
    self._kpolicy_field_6 = _kpolicy_field_6
    self._kpolicy_field_7 = _kpolicy_field_7
    self._kpolicy_field_8 = _kpolicy_field_8
    self._kpolicy_field_9 = _kpolicy_field_9
    self._kpolicy_field_10 = _kpolicy_field_10
    self._kpolicy_field_11 = _kpolicy_field_11
    self._kpolicy_field_12 = _kpolicy_field_12
    self._kpolicy_field_13 = _kpolicy_field_13
    self._kpolicy_field_14 = _kpolicy_field_14
    self._kpolicy_field_15 = _kpolicy_field_15
    self.__class__ = __cls


SHAPES = {
    ('plain', 4, (3,), True): _shape_0,
    ('plain', 9, (), False): _shape_1,
    ('setattr', 2, (), False): _shape_2,
    ('setattr', 3, (), False): _shape_3,
    ('setattr', 4, (), False): _shape_4,
    ('setattr', 6, (), False): _shape_5,
    ('setattr', 7, (), False): _shape_6,
    ('setattr', 9, (3, 4), False): _shape_7,
    ('setattr', 13, (8, 10), False): _shape_8,
    ('setattr', 14, (0, 8, 9, 11), False): _shape_9,
    ('setattr', 25, (9,), False): _shape_10,
    ('setattr', 27, (9, 24), False): _shape_11,
    ('setattr', 32, (), False): _shape_12,
    ('slot', 2, (), False): _shape_13,
    ('slot', 3, (), False): _shape_14,
    ('slot', 4, (), False): _shape_15,
    ('slot', 4, (), True): _shape_16,
    ('slot', 4, (2,), False): _shape_17,
    ('slot', 5, (), False): _shape_18,
    ('slot', 6, (), False): _shape_19,
    ('slot', 7, (), False): _shape_20,
    ('slot', 8, (), False): _shape_21,
    ('slot', 9, (), False): _shape_22,
    ('slot', 10, (), False): _shape_23,
    ('slot', 11, (), False): _shape_24,
    ('slot', 13, (), False): _shape_25,
    ('slot', 16, (), False): _shape_26,
    ('swap', 4, (), False): _shape_27,
    ('swap', 4, (), True): _shape_28,
    ('swap', 4, (2,), False): _shape_29,
    ('swap', 5, (), False): _shape_30,
    ('swap', 6, (), False): _shape_31,
    ('swap', 7, (), False): _shape_32,
    ('swap', 8, (), False): _shape_33,
    ('swap', 9, (), False): _shape_34,
    ('swap', 10, (), False): _shape_35,
    ('swap', 11, (), False): _shape_36,
    ('swap', 13, (), False): _shape_37,
    ('swap', 16, (), False): _shape_38,
}
